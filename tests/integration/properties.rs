//! Property tests: hostile manifests and arbitrary bytes in every format never panic, spans stay
//! inside their file, output does not depend on file order or threads, and fingerprints do not
//! depend on line positions.

use borderline::config::parse_manifest;
use borderline::date::Date;
use borderline::extract::{ExtractContext, Owners, extract_all};
use borderline::rules::RuleSet;
use borderline::scan::{ScanOptions, scan};
use borderline::source::{FileId, SourceFile, Span};
use proptest::prelude::*;
use std::sync::{Arc, OnceLock};

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap_or_else(|e| panic!("{e:?}")))
}

fn manifest(text: &str) -> SourceFile {
    SourceFile::new(FileId(0), "borderline.toml".into(), Arc::from(text))
}

/// Pieces of real manifests, shuffled and cut, reach far more of the validator than random bytes.
const PIECES: &[&str] = &[
    "[[node]]\n",
    "[[flow]]\n",
    "[[waiver]]\n",
    "[policy]\n",
    "[project]\n",
    "[scan]\n",
    "id = \"a\"\n",
    "id = \"b\"\n",
    "from = \"a\"\n",
    "to = \"b\"\n",
    "kind = \"vendor\"\n",
    "location = \"US\"\n",
    "location = \"aws:eu-west-1\"\n",
    "location = \"gcp:nowhere\"\n",
    "data = [\"user.contact.email\"]\n",
    "data = 3\n",
    "certifications = [\"dpf\"]\n",
    "safeguard = { mechanism = \"scc\", version = \"2010/87\", signed = 2020-01-01 }\n",
    "safeguard = { mechanism = \"derogation\" }\n",
    "safeguard = \"scc\"\n",
    "expires = 2027-01-31\n",
    "expires = \"2027-02-30\"\n",
    "rule = \"missing-tia\"\n",
    "reason = \"\"\n",
    "approved_mechanisms = [\"scc\", \"x\"]\n",
    "module = 9\n",
    "= =\n",
    "\"\n",
    "exclude = [\"[\"]\n",
    "home = \"US\"\n",
    "unknown_location = \"off\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse_manifest(&manifest(&text), rules());
    }

    #[test]
    fn shuffled_manifest_pieces_never_panic_and_errors_point_inside_the_file(
        indices in proptest::collection::vec(0..PIECES.len(), 0..40)
    ) {
        let text: String = indices.iter().map(|&i| PIECES[i]).collect();
        let file = manifest(&text);
        if let Err(errors) = parse_manifest(&file, rules()) {
            prop_assert!(!errors.is_empty());
            for error in errors {
                prop_assert!(error.line >= 1 && (error.line as usize) <= file.line_count(), "{error}");
            }
        }
    }
}

/// A path each extractor claims, per format: arbitrary text is fed to whatever claims it.
const FORMAT_PATHS: &[&str] = &[
    "infra/main.tf",
    "infra/prod.tfvars",
    "k8s/deploy.yaml",
    "charts/api/values.yaml",
    "docker-compose.yml",
    ".env",
    "appsettings.json",
    "config.toml",
    "application.properties",
    "src/lib.rs",
    "Cargo.toml",
    "jobs/export.py",
    "cmd/main.go",
    "web/app.ts",
    "infra/tfplan.json",
];

/// Fragments of every format, so random input reaches past the first token of each parser.
const FRAGMENTS: &[&str] = &[
    "resource \"aws_s3_bucket\" \"b\" {\n",
    "provider \"aws\" {\n  region = \"us-east-1\"\n}\n",
    "region = \"eu-west-1\"\n",
    "module \"m\" {\n  source = \"./m\"\n}\n",
    "${var.x}",
    "}\n",
    "]\n",
    "apiVersion: apps/v1\nkind: Deployment\n",
    "metadata:\n  name: api\n",
    "  - name: URL\n    value: https://api.stripe.com/v1\n",
    "services:\n  web:\n    image: x\n",
    "    env_file: .env\n",
    "&a [1, *a]\n",
    "<<: *a\n",
    "---\n",
    "\t",
    "\r\n",
    "\u{feff}",
    "STRIPE_URL=https://api.stripe.com\n",
    "export A=\"b\n",
    "{\"Endpoints\": {\"Api\": \"https://api.example.com\"}}\n",
    "{\"format_version\":\"1.2\",\"planned_values\":{\"root_module\":{\"resources\":[",
    "{\"address\":\"module.m[\\\"k\\\"].aws_s3_bucket.b[0]\",\"mode\":\"managed\",\"type\":\"aws_s3_bucket\",\"name\":\"b\",\"values\":{\"region\":\"ap-southeast-1\",\"replica\":[{\"region_name\":\"é\"}]}},",
    "\"child_modules\":[{\"address\":\"module.m\",",
    "\"configuration\":{\"provider_config\":{\"aws\":{\"expressions\":{\"region\":{\"references\":[\"var.r\"]}}}},\"root_module\":{\"module_calls\":{\"m\":{\"source\":\"../\",\"module\":{",
    "#[borderline::flow(to = \"psp\", data = [\"user.contact\"])]\n",
    "#[derive(PersonalData)]\nstruct Customer { #[pii(\"user.contact.email\")] email: String }\n",
    "fn f() { let u = \"https://api.segment.io\"; }\n",
    "# borderline: store id=s location=US data=user.contact\n",
    "// borderline: flow from=a to=b data=[user.contact\n",
    "\"\"\"\n",
    "/*",
    "[package]\nname = \"x\"\n",
    "é",
    "\u{1b}[31m",
    "\0",
];

fn extract_and_check(path: &str, text: &str) -> Result<(), TestCaseError> {
    let file = SourceFile::new(FileId(0), path.into(), Arc::from(text));
    let owners = Owners::default();
    let ctx = ExtractContext {
        rules: rules(),
        owners: &owners,
        terraform: &[],
    };
    let len = file.text.len() as u32;
    let inside = |span: Option<Span>| span.is_none_or(|s| s.start <= s.end && s.end <= len);
    let facts = extract_all(std::slice::from_ref(&file), &ctx);
    for node in &facts.nodes {
        prop_assert!(inside(node.span), "node {node:?} outside {path}");
    }
    for flow in &facts.flows {
        prop_assert!(inside(flow.span), "flow {flow:?} outside {path}");
    }
    for diagnostic in &facts.diagnostics {
        prop_assert!(inside(diagnostic.span), "{diagnostic:?} outside {path}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Arbitrary bytes (as discovery would hand them over: lossy UTF-8) into every extractor.
    #[test]
    fn arbitrary_bytes_into_every_extractor_never_panic_and_spans_stay_inside(
        path in proptest::sample::select(FORMAT_PATHS),
        bytes in proptest::collection::vec(any::<u8>(), 0..2048),
    ) {
        extract_and_check(path, &String::from_utf8_lossy(&bytes))?;
    }

    /// Shuffled fragments of every format, cut at random points, into every extractor.
    #[test]
    fn format_fragments_into_every_extractor_never_panic_and_spans_stay_inside(
        path in proptest::sample::select(FORMAT_PATHS),
        indices in proptest::collection::vec(0..FRAGMENTS.len(), 0..40),
        cut in any::<prop::sample::Index>(),
    ) {
        let text: String = indices.iter().map(|&i| FRAGMENTS[i]).collect();
        let mut end = cut.index(text.len() + 1);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        extract_and_check(path, &text)?;
        extract_and_check(path, &text[..end])?;
    }
}

/// Fixture cases merged into one repository with files of every format.
const MIXED_CASES: &[&str] = &[
    "demo",
    "terraform-s3-replication",
    "k8s-eu-cluster",
    "compose-awslogs",
    "env-vendors",
    "annotations-python-go",
    "annotated-crate",
    "k8s-malformed",
];

/// Every regular file of the mixed repository: (relative path, bytes). `demo`'s manifest is the root's.
fn mixed_repository() -> &'static Vec<(String, Vec<u8>)> {
    static FILES: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
    FILES.get_or_init(|| {
        let mut files = Vec::new();
        for case in MIXED_CASES {
            let dir = crate::support::fixtures_dir().join(case);
            let mut stack = vec![dir.clone()];
            while let Some(current) = stack.pop() {
                for entry in std::fs::read_dir(&current).unwrap().flatten() {
                    let kind = entry.file_type().unwrap();
                    if kind.is_dir() {
                        stack.push(entry.path());
                    } else if kind.is_file() {
                        let relative = entry
                            .path()
                            .strip_prefix(&dir)
                            .unwrap()
                            .to_string_lossy()
                            .replace('\\', "/");
                        let path = if *case == "demo" {
                            relative
                        } else {
                            format!("{case}/{relative}")
                        };
                        files.push((path, std::fs::read(entry.path()).unwrap()));
                    }
                }
            }
        }
        files.sort();
        files
    })
}

/// Writes the files in the given order (directory listing order follows creation order on most
/// file systems), scans on a pool of `jobs` threads and renders JSON.
fn scan_json_written_in_order(order: &[usize], jobs: usize) -> String {
    let files = mixed_repository();
    let dir = tempfile::tempdir().unwrap();
    for &index in order {
        let (path, bytes) = &files[index];
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, bytes).unwrap();
    }
    let options = ScanOptions {
        root: dir.path().to_path_buf(),
        config: None,
        date: Date::parse(crate::support::FIXTURE_DATE).unwrap(),
        cache: None,
        terraform_plans: Vec::new(),
        variants: Vec::new(),
        rendered: Vec::new(),
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .unwrap();
    let scanned = pool.install(|| scan(&options, rules())).unwrap();
    borderline::report::json::render(&scanned.model, &scanned.evaluation, rules())
}

fn reference_json() -> &'static String {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        let order: Vec<usize> = (0..mixed_repository().len()).collect();
        scan_json_written_in_order(&order, 1)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The same files, created in any order and scanned with any number of threads, give the same bytes.
    #[test]
    fn output_is_independent_of_file_order_and_jobs(
        order in Just((0..mixed_repository().len()).collect::<Vec<usize>>()).prop_shuffle(),
        jobs in 1usize..6,
    ) {
        let json = scan_json_written_in_order(&order, jobs);
        prop_assert!(json.contains("\"findings\""));
        prop_assert_eq!(&json, reference_json());
    }

    /// Blank lines inserted anywhere between lines of the Terraform, YAML and env files move
    /// findings but never change their fingerprints; every finding stays inside its file.
    #[test]
    fn fingerprints_are_stable_under_inserted_blank_lines(
        insertions in proptest::collection::vec((any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..8),
    ) {
        let files = mixed_repository();
        let reference: serde_json::Value = serde_json::from_str(reference_json()).unwrap();
        let mut moved: Vec<(String, Vec<u8>)> = files.clone();
        let editable: Vec<usize> = moved
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| p.ends_with(".tf") || p.ends_with(".yaml") || p.ends_with(".yml") || p.contains(".env"))
            .map(|(i, _)| i)
            .collect();
        for (which, at) in &insertions {
            let (_, bytes) = &mut moved[editable[which.index(editable.len())]];
            let text = String::from_utf8_lossy(bytes).into_owned();
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            // Not inside a YAML block scalar or heredoc: only before a line that starts at column 0.
            let starts: Vec<usize> = (0..=lines.len())
                .filter(|&i| i == lines.len() || !lines[i].starts_with([' ', '\t']))
                .collect();
            lines.insert(starts[at.index(starts.len())], "\n");
            *bytes = lines.concat().into_bytes();
        }
        let dir = tempfile::tempdir().unwrap();
        for (path, bytes) in &moved {
            let full = dir.path().join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, bytes).unwrap();
        }
        let options = ScanOptions {
            root: dir.path().to_path_buf(),
            config: None,
            date: Date::parse(crate::support::FIXTURE_DATE).unwrap(),
            cache: None,
            terraform_plans: Vec::new(),
            variants: Vec::new(),
            rendered: Vec::new(),
        };
        let scanned = scan(&options, rules()).unwrap();
        for finding in &scanned.evaluation.findings {
            if let Some(span) = finding.span {
                let file = scanned.model.files.get(span.file).unwrap();
                prop_assert!(span.start <= span.end && span.end as usize <= file.len());
                prop_assert!(
                    file.line_holding(span.start).is_some() && file.line_holding(span.end).is_some(),
                    "the lines of {:?} were not kept", finding
                );
            }
        }
        let json: serde_json::Value = serde_json::from_str(
            &borderline::report::json::render(&scanned.model, &scanned.evaluation, rules()),
        ).unwrap();
        let prints = |report: &serde_json::Value| -> Vec<String> {
            let mut prints: Vec<String> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] != "input-error")
                .map(|f| format!("{} {}", f["rule"], f["fingerprint"]))
                .collect();
            prints.sort();
            prints
        };
        prop_assert_eq!(prints(&json), prints(&reference));
    }
}

/// Inputs that crashed a fuzz target (`data/fuzz-regressions/<target>-<hash>`), kept so the fix stays:
/// slicing text at a byte that was inside a multi-byte character (a no-break space in a comment
/// tag; a non-ASCII character before `://` in a URL).
#[test]
fn fuzz_crashes_stay_fixed() {
    let dir = crate::support::workspace_root().join("tests/integration/data/fuzz-regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = match name.rsplit_once('-').map(|(target, _)| target) {
            Some("comment_tags") => "jobs/export.py",
            Some("compose") => "docker-compose.yml",
            Some("env") => ".env",
            Some("json_config") => "appsettings.json",
            Some("kubernetes") => "k8s/deploy.yaml",
            Some("terraform") => "infra/main.tf",
            Some("terraform_plan") => "infra/tfplan.json",
            Some("rust") => "src/lib.rs",
            other => panic!("{name}: unknown fuzz target {other:?}"),
        };
        let bytes = std::fs::read(entry.path()).unwrap();
        extract_and_check(path, &String::from_utf8_lossy(&bytes)).unwrap();
        seen += 1;
    }
    assert!(
        seen >= 4,
        "the regression inputs are missing from {}",
        dir.display()
    );
}
