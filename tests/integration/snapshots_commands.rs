//! Snapshots of the commands' own texts: `--help` of the top level and of every subcommand,
//! `explain RULE` for every rule `borderline rules` lists, and the demo's SARIF. The lists are
//! read from the binary itself, so a new subcommand or rule without a snapshot fails.

use crate::support::{FIXTURE_DATE, borderline, check_each, stdout, transcript, workspace_root};

/// The subcommands the top-level help lists under `Commands:` (clap's own `help` left out: it
/// prints the top-level help again).
fn subcommands() -> Vec<String> {
    let help = stdout(&borderline(&workspace_root(), &["--help"]));
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

#[test]
fn help_of_the_top_level_and_every_subcommand() {
    let commands = subcommands();
    assert!(
        commands.len() >= 7 && commands.iter().any(|c| c == "scan"),
        "no subcommands read from the top-level help: {commands:?}"
    );
    let mut names = vec!["top".to_string()];
    names.extend(commands);
    check_each("--help", &names, |name| {
        let args: Vec<&str> = if name == "top" {
            vec!["--help"]
        } else {
            vec![name, "--help"]
        };
        let output = borderline(&workspace_root(), &args);
        assert_eq!(output.status.code(), Some(0), "{name} --help");
        insta::assert_snapshot!(format!("help_{name}"), transcript(&args, &output));
    });
}

/// The rule names `borderline rules` lists under `Checks`, in its order.
fn listed_rules() -> Vec<String> {
    let output = borderline(&workspace_root(), &["rules", "--date", FIXTURE_DATE]);
    stdout(&output)
        .lines()
        .skip_while(|line| *line != "Checks")
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn explain_of_every_rule_borderline_rules_lists() {
    let rules = listed_rules();
    let checks: Vec<String> = borderline::checks::CHECKS
        .iter()
        .map(|check| check.rule.name().to_string())
        .collect();
    let mut sorted_rules = rules.clone();
    sorted_rules.sort();
    let mut sorted_checks = checks;
    sorted_checks.sort();
    assert_eq!(
        sorted_rules, sorted_checks,
        "`borderline rules` lists other rules than the checks"
    );
    check_each("explain RULE", &rules, |rule| {
        let args = ["explain", rule];
        let output = borderline(&workspace_root(), &args);
        assert_eq!(output.status.code(), Some(0), "explain {rule}");
        insta::assert_snapshot!(format!("explain_{rule}"), transcript(&args, &output));
    });
}

#[test]
fn sarif_of_the_demo() {
    let args = [
        "scan",
        "fixtures/demo",
        "--format",
        "sarif",
        "--date",
        FIXTURE_DATE,
    ];
    let output = borderline(&workspace_root(), &args);
    let log: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the demo's SARIF is not JSON: {e}"));
    // The schema check itself is sarif.rs's; here it guards the snapshot's contents.
    let errors = crate::sarif::schema_errors(&log);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    insta::assert_snapshot!("demo_sarif", transcript(&args, &output));
}
