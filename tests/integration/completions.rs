//! `borderline completions SHELL`: a script each shell accepts, naming every command and option.

use crate::support::{borderline, stderr, stdout};

const COMMANDS: [&str; 8] = [
    "scan",
    "graph",
    "ropa",
    "explain",
    "rules",
    "init",
    "merge",
    "completions",
];

#[test]
fn every_shell_gets_a_script_with_every_command_and_option() {
    let dir = std::env::temp_dir();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = borderline(&dir, &["completions", shell]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{shell}: {}",
            stderr(&output)
        );
        let script = stdout(&output);
        for command in COMMANDS {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
        for option in [
            "--variant",
            "--rendered",
            "--fail-on",
            "--baseline",
            "--format",
        ] {
            assert!(
                script.contains(option.trim_start_matches('-')),
                "{shell}: no `{option}`"
            );
        }
    }
}

#[test]
fn the_bash_script_is_valid_bash_and_an_unknown_shell_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = borderline(dir.path(), &["completions", "bash"]);
    let path = dir.path().join("borderline.bash");
    std::fs::write(&path, stdout(&output)).unwrap();
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let output = borderline(dir.path(), &["completions", "tcsh"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid value 'tcsh'"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn every_command_has_a_man_page_naming_its_options() {
    let dir = std::env::temp_dir();
    let top = stdout(&borderline(&dir, &["manpage"]));
    assert!(top.contains(".TH borderline 1"), "{top}");
    for command in COMMANDS.iter().chain(&["manpage"]) {
        assert!(top.contains(&format!("borderline\\-{}(1)", command.replace('-', "\\-"))));
        let output = borderline(&dir, &["manpage", command]);
        assert_eq!(output.status.code(), Some(0), "{command}");
        let page = stdout(&output);
        assert!(
            page.contains(&format!(".TH borderline-{command} 1")),
            "{page}"
        );
        // Every long option of the command's --help is in its page (roff escapes the dashes).
        let help = stdout(&borderline(&dir, &[command, "--help"]));
        for option in help.split_whitespace().filter(|w| w.starts_with("--")) {
            let option = option.trim_end_matches([',', '.', ')', '`', ';']);
            let name = option
                .split(['=', '[', '<', '`'])
                .next()
                .unwrap_or_default();
            if name.len() > 2 && !help.contains(&format!("`{name}")) {
                assert!(
                    page.contains(&name.replace('-', "\\-")),
                    "{command}: no `{name}` in its man page"
                );
            }
        }
    }
    let output = borderline(&dir, &["manpage", "nope"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no command `nope`; one of: scan"));
}
