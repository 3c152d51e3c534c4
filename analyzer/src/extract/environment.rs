//! The environment class of a file: `production`, `test` or `dev`, decided from its path alone by
//! [`classify`], the one classifier every fact, node, flow and finding is classed by.
//!
//! A repository holds more than the product: test suites and their fixtures, local development
//! set-ups (a `docker-compose.dev.yml`, a `.devcontainer/`), and maintainers' scripts. What they
//! declare is real text, but it is not where the product sends personal data: a transfer found
//! only there is reported as a note unless `[scan] include` asks for that class
//! (docs/environments.md). Production is the default: a path is test or dev only on a positive
//! signal below, so an unknown layout is judged as production, never silenced.

// The class itself is vocabulary every stage shares (facts, findings, the manifest's `include`),
// so it lives in `facts`; this module is the classifier.
use crate::facts::Environment;

/// Directory names whose files are tests, their fixtures, or test harnesses. `regression` and
/// `antithesis` hold benchmark and fault-injection harnesses (vector); `cassettes` hold recorded
/// HTTP responses (VCR); `ci` holds the values a Helm chart's CI installs it with, and `.ci` the
/// compose files a project's CI runs its test suite with.
const TEST_DIRECTORIES: &[&str] = &[
    "tests",
    "test",
    "testing",
    "__tests__",
    "__mocks__",
    "spec",
    "specs",
    "testdata",
    "test-data",
    "test_data",
    "fixtures",
    "e2e",
    "cypress",
    "playwright",
    "integration-tests",
    "integration_tests",
    "regression",
    "antithesis",
    "cassettes",
    "benches",
    "ci",
    ".ci",
];

/// Directory names of local development set-ups and maintainers' tooling: what runs there runs
/// on a developer's machine or in the project's own automation, not in the product.
const DEV_DIRECTORIES: &[&str] = &[
    ".devcontainer",
    "devcontainer",
    "scripts",
    "tools",
    "hack",
    ".github",
    ".circleci",
    ".gitlab",
    ".buildkite",
];

/// Directory names of a development stage. Compose files, env files and code there run on a
/// developer's machine; Terraform and Kubernetes manifests there deploy a real environment
/// (`envs/dev/main.tf`, `overlays/dev/`), which may hold real data, so they stay production.
const DEV_STAGE_DIRECTORIES: &[&str] = &["dev", "development"];

/// True for the files a development-stage directory makes dev: compose and env files, and code
/// or app configuration read by a developer's run, never infrastructure manifests.
fn is_local_run_file(lower: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".py",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".go",
        ".rb",
        ".java",
        ".kt",
        ".cs",
        ".php",
        ".rs",
        ".sh",
        ".toml",
        ".json",
        ".hjson",
        ".ini",
        ".conf",
        ".properties",
    ];
    lower.starts_with(".env")
        || lower.starts_with("docker-compose")
        || lower.starts_with("compose")
        || (EXTENSIONS
            .iter()
            .any(|extension| lower.ends_with(extension))
            && !lower.ends_with(".tf.json"))
}

/// The class of one file, from its path relative to the scanned root (`/`-separated). A test
/// signal wins over a dev one (`dev/tests/x.py` is a test).
pub fn classify(path: &str) -> Environment {
    let mut parts = path.split('/');
    let name = parts.next_back().unwrap_or("");
    let directories: Vec<String> = parts.map(|part| part.to_ascii_lowercase()).collect();
    let lower = name.to_ascii_lowercase();
    if directories
        .iter()
        .any(|part| TEST_DIRECTORIES.contains(&part.as_str()))
        || is_test_file_name(name, &lower)
    {
        return Environment::Test;
    }
    if directories
        .iter()
        .any(|part| DEV_DIRECTORIES.contains(&part.as_str()))
        || (is_local_run_file(&lower)
            && directories
                .iter()
                .any(|part| DEV_STAGE_DIRECTORIES.contains(&part.as_str())))
        || is_dev_file_name(&lower)
    {
        return Environment::Dev;
    }
    Environment::Production
}

/// Test files by name: `checkout.spec.ts`, `client_test.go`, `test_views.py`, `CartTest.java`,
/// `.env.test`, `docker-compose.test.yml`.
fn is_test_file_name(name: &str, lower: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name);
    lower.contains(".spec.")
        || lower.contains(".test.")
        || lower.ends_with(".test")
        || lower == "conftest.py"
        || lower.ends_with("_test.go")
        || lower.ends_with("_test.py")
        || (lower.starts_with("test_") && lower.ends_with(".py"))
        || lower.ends_with("_spec.rb")
        || lower.ends_with("_test.rb")
        // `CheckoutTest.java`, `CartServiceTests.cs`, `ApiTest.kt`: the suffix is capitalised.
        || stem.ends_with("Test")
        || stem.ends_with("Tests")
        || stem.ends_with("IT")
}

/// Local development files by name: compose files for development or local overrides, and env
/// files of the development, local and CI environments.
fn is_dev_file_name(lower: &str) -> bool {
    const DEV_SUFFIXES: &[&str] = &[".dev", ".development", ".local", ".override", ".ci"];
    // `docker-compose.dev.yml`, `compose.override.yaml`, `app.local.yml`: the part before the
    // extension names the environment.
    if let Some(stem) = lower
        .strip_suffix(".yml")
        .or_else(|| lower.strip_suffix(".yaml"))
        && DEV_SUFFIXES.iter().any(|suffix| stem.ends_with(suffix))
    {
        return true;
    }
    // `.env.development`, `.env.local`, `.env.ci`, and `.env.development.local`.
    if let Some(rest) = lower.strip_prefix(".env.") {
        return rest
            .split('.')
            .any(|part| matches!(part, "dev" | "development" | "local" | "ci"));
    }
    false
}

/// The byte ranges of a Rust file's `#[cfg(test)] mod NAME { ... }` blocks: unit tests compiled
/// only by `cargo test`, so a URL there is a test's, whatever the file's path. Found lexically:
/// the attribute outside comments and strings, optionally other attributes and a visibility,
/// then `mod`, a name and a brace, whose match (braces in comments and strings do not count)
/// ends the block. An unclosed block runs to the end of the file.
pub(crate) fn rust_test_modules(
    text: &str,
    pieces: &[crate::source::lexer::Piece],
) -> Vec<std::ops::Range<usize>> {
    const ATTRIBUTE: &[u8] = b"#[cfg(test)]";
    let bytes = text.as_bytes();
    let in_piece = |position: usize| {
        let index = pieces.partition_point(|p| p.range.end <= position);
        pieces
            .get(index)
            .is_some_and(|p| p.range.start <= position && position < p.range.end)
    };
    let mut found: Vec<std::ops::Range<usize>> = Vec::new();
    for start in memchr::memmem::find_iter(bytes, ATTRIBUTE) {
        if in_piece(start) || found.last().is_some_and(|r| start < r.end) {
            continue;
        }
        let Some(open) = module_brace(bytes, start + ATTRIBUTE.len()) else {
            continue;
        };
        // The matching brace, skipping comments and strings with one pass over the pieces.
        let mut depth = 0usize;
        let mut end = bytes.len();
        let mut position = open;
        let mut piece = pieces.partition_point(|p| p.range.end <= open);
        while position < bytes.len() {
            if let Some(p) = pieces.get(piece)
                && p.range.start <= position
            {
                position = p.range.end.max(position + 1);
                piece += 1;
                continue;
            }
            match bytes[position] {
                b'{' => depth += 1,
                b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = position + 1;
                        break;
                    }
                }
                _ => {}
            }
            position += 1;
        }
        found.push(start..end);
    }
    found
}

/// The position of the `{` of `[#[attr]...] [pub[(..)]] mod NAME {` after an attribute, if that
/// is what follows it.
fn module_brace(bytes: &[u8], mut position: usize) -> Option<usize> {
    let skip_space = |position: &mut usize| {
        while bytes.get(*position).is_some_and(u8::is_ascii_whitespace) {
            *position += 1;
        }
    };
    // Other attributes (`#[allow(...)]`), each closed on its line.
    for _ in 0..8 {
        skip_space(&mut position);
        if bytes.get(position..position + 2) != Some(b"#[") {
            break;
        }
        position += bytes.get(position..)?.iter().position(|b| *b == b']')? + 1;
    }
    skip_space(&mut position);
    if bytes.get(position..position + 3) == Some(b"pub") {
        position += 3;
        if bytes.get(position) == Some(&b'(') {
            position += bytes.get(position..)?.iter().position(|b| *b == b')')? + 1;
        }
        skip_space(&mut position);
    }
    if bytes.get(position..position + 4) != Some(b"mod ") {
        return None;
    }
    position += 4;
    skip_space(&mut position);
    while bytes
        .get(position)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        position += 1;
    }
    skip_space(&mut position);
    (bytes.get(position) == Some(&b'{')).then_some(position)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_test_modules_by_their_attribute() {
        let text = "fn a() { let u = \"#[cfg(test)] mod x {\"; }\n// #[cfg(test)] mod y { }\n#[cfg(test)]\n#[allow(clippy::unwrap_used)]\npub(crate) mod tests {\n    fn t() { let s = \"}\"; reqwest::get(\"https://api.stripe.com\"); }\n}\nfn after() {}\n#[cfg(test)]\nfn not_a_module() {}\n";
        let pieces = crate::source::lexer::syntax_for("src/x.rs")
            .map(|syntax| crate::source::lexer::lex(text, &syntax))
            .unwrap_or_default();
        let found = rust_test_modules(text, &pieces);
        assert_eq!(found.len(), 1, "{found:?}");
        let block = &text[found[0].clone()];
        assert!(block.starts_with("#[cfg(test)]\n#[allow"), "{block}");
        assert!(block.ends_with("}\n}"), "{block}");
        assert!(block.contains("api.stripe.com"));
        assert!(!block.contains("after"));
        assert!(rust_test_modules("#[cfg(test)]\nmod t { {", &[]).len() == 1);
    }

    #[test]
    fn test_paths() {
        for path in [
            "tests/api.py",
            "src/test/java/shop/CartTest.java",
            "web/__tests__/cart.js",
            "spec/client_spec.rb",
            "pkg/client_test.go",
            "src/cart.spec.ts",
            "src/cart.test.js",
            "app/test_views.py",
            "app/views_test.py",
            "conftest.py",
            "Cart/CartServiceTests.cs",
            "src/ApiTest.kt",
            "internal/testdata/a.go",
            "e2e/login.ts",
            "cypress/support/commands.ts",
            "regression/config.yaml",
            "tests/integration/shutdown/compose.yaml",
            "saleor/payment/gateways/tests/cassettes/test_x.yaml",
            "tests/fixtures/net-vpc/main.tf",
            "charts/datadog/ci/values.yaml",
            "test/datadog/baseline/values.yaml",
            "docker/testing/compose.yml",
            ".env.test",
            "docker-compose.test.yml",
        ] {
            assert_eq!(classify(path), Environment::Test, "{path}");
        }
        // Names that only contain "test" or "spec" are production.
        for path in [
            "src/contest.py",
            "src/latest.go",
            "src/Attestation.java",
            "app/testimonials.py",
            "src/spectrum.ts",
        ] {
            assert_eq!(classify(path), Environment::Production, "{path}");
        }
    }

    #[test]
    fn dev_paths() {
        for path in [
            "dev/docker-compose.yml",
            "dev/config.toml",
            "dev/.env",
            ".devcontainer/docker-compose.yml",
            "docker/development/compose.yml",
            "docker-compose.dev.yml",
            "compose.dev.yaml",
            "docker-compose.override.yml",
            "config.local.yml",
            ".env.development",
            ".env.dev",
            ".env.local",
            ".env.ci",
            ".env.development.local",
            "scripts/translate-i18n.py",
            "tools/changelog.py",
            "hack/release.sh",
            ".github/workflows/ci.yml",
        ] {
            assert_eq!(classify(path), Environment::Dev, "{path}");
        }
    }

    #[test]
    fn production_paths() {
        for path in [
            "docker-compose.yml",
            "compose.yaml",
            ".env",
            ".env.example",
            ".env.production",
            "src/api/core/mod.rs",
            "src/Billing/Services/PayPalService.cs",
            "examples/basic/main.tf",
            "src/contest.py",
            "src/latest.go",
            "src/Attestation.java",
            "app/testimonials.py",
            "src/spectrum.ts",
            "src/devices.ts",
            "deploy/docker-compose.prod.yml",
            "src/tools.rs",
            "src/scripts.py",
            // A development stage's infrastructure is a real deployment.
            "envs/dev/main.tf",
            "environments/development/terraform.tfvars",
            "k8s/overlays/dev/deployment.yaml",
            "envs/dev/main.tf.json",
        ] {
            assert_eq!(classify(path), Environment::Production, "{path}");
        }
    }

    #[test]
    fn the_smallest_class_wins() {
        let classes = [Environment::Dev, Environment::Test, Environment::Production];
        assert_eq!(classes.iter().min(), Some(&Environment::Production));
        assert_eq!(
            [Environment::Dev, Environment::Test].iter().min(),
            Some(&Environment::Test)
        );
    }
}
