//! Property tests: hostile manifests never panic, and fingerprints do not depend on line positions.

use borderline::config::parse_manifest;
use borderline::rules::RuleSet;
use borderline::source::{FileId, SourceFile};
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
