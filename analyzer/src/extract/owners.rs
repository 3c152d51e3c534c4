//! Which node a source file belongs to: the manifest's `paths` first, then the nearest package
//! manifest above the file.
//!
//! A directory that holds a `Dockerfile` is named after itself: the image built there is the
//! service, and compose files and Kubernetes manifests name it that way (`src/emailservice` is
//! the `emailservice` Deployment, even where its `package.json` says `grpc-currency-service` or its
//! `settings.gradle` says `hipstershop`). Otherwise the package's own name: Cargo.toml,
//! package.json, pyproject.toml, go.mod (the module's last segment), pom.xml (`artifactId`),
//! settings.gradle(.kts) (`rootProject.name`), `*.csproj` (the file's stem), composer.json (the
//! name after the vendor). Directories whose manifest names nothing (`build.gradle`, `Gemfile`,
//! `requirements.txt`, `setup.py`, `setup.cfg`) are named after themselves. The scanned root has
//! no name of its own, so only a manifest that names its package owns the files at the root.
//!
//! Code extractors claim the package manifests too, so the map is built from the files they are
//! handed, without any I/O of its own.

use super::ExtractContext;
use super::annotation::Owner;
use crate::source::SourceFile;
use camino::Utf8Path;
use std::collections::BTreeMap;
use toml::de::{DeTable, DeValue};

/// File names of package manifests, in the order that wins when one directory holds several.
const PACKAGE_MANIFESTS: [&str; 16] = [
    "Dockerfile",
    "Cargo.toml",
    "package.json",
    "pyproject.toml",
    "go.mod",
    "pom.xml",
    "settings.gradle.kts",
    "settings.gradle",
    "*.csproj",
    "composer.json",
    "build.gradle.kts",
    "build.gradle",
    "Gemfile",
    "requirements.txt",
    "setup.py",
    "setup.cfg",
];

/// The rank of a manifest file name in [`PACKAGE_MANIFESTS`].
fn manifest_rank(name: &str) -> Option<usize> {
    let pattern = if name.ends_with(".csproj") && name.len() > ".csproj".len() {
        "*.csproj"
    } else {
        name
    };
    PACKAGE_MANIFESTS.iter().position(|m| *m == pattern)
}

/// True for a package manifest that names the package its directory holds.
pub(crate) fn is_package_manifest(path: &Utf8Path) -> bool {
    path.file_name().and_then(manifest_rank).is_some()
}

/// Packages by directory (relative, `""` for the root).
#[derive(Debug, Default)]
pub struct Packages {
    by_directory: BTreeMap<String, (usize, Owner)>,
}

impl Packages {
    /// Reads the names of every package manifest among `files`. Manifests that do not parse or
    /// name no package (a Cargo workspace root) are skipped: the Rust extractor reports the ones
    /// that do not parse ([`manifest_error`]).
    pub(crate) fn new(files: &[&SourceFile]) -> Packages {
        let mut packages = Packages::default();
        for file in files {
            let Some(name) = file.path.file_name() else {
                continue;
            };
            let Some(rank) = manifest_rank(name) else {
                continue;
            };
            let directory = file
                .path
                .parent()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default();
            let nameless = matches!(
                PACKAGE_MANIFESTS.get(rank),
                Some(
                    &"Dockerfile"
                        | &"build.gradle"
                        | &"build.gradle.kts"
                        | &"Gemfile"
                        | &"requirements.txt"
                        | &"setup.py"
                        | &"setup.cfg"
                )
            );
            // A manifest that should name its package and does not (a Cargo workspace root, a
            // broken package.json) names nothing: the files fall back to the package above.
            let Some((id, range)) = package_name(name, &file.text).or_else(|| {
                if !nameless {
                    return None;
                }
                // A manifest that names nothing: the directory's own name, pointing at the
                // manifest's first line.
                let own = directory.rsplit('/').next().filter(|d| !d.is_empty())?;
                let first_line = file.text.find('\n').unwrap_or(file.text.len());
                Some((own.to_string(), 0..first_line))
            }) else {
                continue;
            };
            let owner = Owner {
                id,
                span: Some(file.span(range)),
                from_package: true,
            };
            let better = packages
                .by_directory
                .get(&directory)
                .is_none_or(|(existing, _)| rank < *existing);
            if better {
                packages.by_directory.insert(directory, (rank, owner));
            }
        }
        packages
    }

    /// The package whose manifest is nearest above `path`.
    pub(crate) fn nearest(&self, path: &Utf8Path) -> Option<&Owner> {
        let mut directory = path.parent();
        while let Some(current) = directory {
            if let Some((_, owner)) = self.by_directory.get(current.as_str()) {
                return Some(owner);
            }
            directory = current.parent();
        }
        None
    }

    /// The node `path` belongs to: manifest `paths`, then the nearest package.
    pub(crate) fn owner_of(&self, path: &Utf8Path, ctx: &ExtractContext<'_>) -> Option<Owner> {
        if let Some(id) = ctx.owners.owner_of(path) {
            return Some(Owner {
                id: id.to_string(),
                span: None,
                from_package: false,
            });
        }
        self.nearest(path).cloned()
    }
}

/// Why a package manifest cannot be read, at the byte offset where it goes wrong: a Cargo.toml,
/// pyproject.toml or package.json that does not parse names no package, so the files below it
/// belong to the next package up (or to none), and the user is told rather than left guessing.
/// go.mod has no grammar borderline checks.
pub(crate) fn manifest_error(file_name: &str, text: &str) -> Option<(usize, String)> {
    match file_name {
        "Cargo.toml" | "pyproject.toml" => {
            let error = DeTable::parse(text).err()?;
            let offset = error.span().map_or(0, |span| span.start);
            Some((offset, error.message().trim().to_string()))
        }
        "package.json" => {
            let error = serde_json::from_str::<serde_json::Value>(text).err()?;
            // Its text ends with "at line L column C", which the finding says already.
            let reason = error.to_string();
            let reason = reason
                .rsplit_once(" at line ")
                .map_or(reason.as_str(), |(reason, _)| reason);
            Some((
                offset_of(text, error.line(), error.column()),
                reason.to_string(),
            ))
        }
        _ => None,
    }
}

/// True when a file holds template directives (Jinja, as cookiecutter and copier write them, or
/// Go templates): such a file does not parse until it is rendered.
pub(crate) fn looks_like_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// The byte offset of a 1-based line and column (serde_json counts columns in bytes; 0 means
/// the end of the previous line), clamped to the text and to a character boundary.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let mut offset = (line_start + column.saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The package name a manifest declares and the byte range of the name's value.
fn package_name(file_name: &str, text: &str) -> Option<(String, std::ops::Range<usize>)> {
    match file_name {
        "Cargo.toml" => toml_name(text, &[&["package", "name"]]),
        "pyproject.toml" => toml_name(text, &[&["project", "name"], &["tool", "poetry", "name"]]),
        "package.json" => json_name(text),
        "go.mod" => go_module(text),
        "pom.xml" => pom_artifact(text),
        "settings.gradle" | "settings.gradle.kts" => gradle_root_project(text),
        "composer.json" => json_name(text),
        _ if file_name.ends_with(".csproj") => {
            let stem = file_name.strip_suffix(".csproj")?;
            (!stem.is_empty()).then(|| (stem.to_string(), 0..text.find('\n').unwrap_or(text.len())))
        }
        _ => None,
    }
}

/// `<artifactId>` of the project itself (the first one outside `<parent>`), in pom.xml.
fn pom_artifact(text: &str) -> Option<(String, std::ops::Range<usize>)> {
    let parent_end = text.find("</parent>").map_or(0, |i| i + "</parent>".len());
    let open = "<artifactId>";
    let start = parent_end + text.get(parent_end..)?.find(open)? + open.len();
    let length = text.get(start..)?.find("</artifactId>")?;
    let name = text.get(start..start + length)?.trim();
    if name.is_empty() || name.contains(['$', '<', '{']) {
        return None;
    }
    Some((name.to_string(), start..start + length))
}

/// `rootProject.name = 'x'` (Groovy or Kotlin) in settings.gradle.
fn gradle_root_project(text: &str) -> Option<(String, std::ops::Range<usize>)> {
    let at = text.find("rootProject.name")?;
    let rest = text.get(at..)?;
    let quote_at = rest.find(['"', '\''])?;
    // Only the same line's value.
    if rest[..quote_at].contains('\n') {
        return None;
    }
    let quote = rest[quote_at..].chars().next()?;
    let start = at + quote_at + 1;
    let length = text.get(start..)?.find(quote)?;
    let name = text.get(start..start + length)?;
    (!name.is_empty() && !name.contains(['$', '\n']))
        .then(|| (name.to_string(), start..start + length))
}

fn toml_name(text: &str, paths: &[&[&str]]) -> Option<(String, std::ops::Range<usize>)> {
    let root = DeTable::parse(text).ok()?;
    for path in paths {
        let mut table: &DeTable<'_> = root.get_ref();
        let (last, parents) = path.split_last()?;
        let mut found = true;
        for key in parents {
            match table.get(*key).map(|v| v.get_ref()) {
                Some(DeValue::Table(inner)) => table = inner,
                _ => {
                    found = false;
                    break;
                }
            }
        }
        if !found {
            continue;
        }
        if let Some(value) = table.get(*last)
            && let DeValue::String(name) = value.get_ref()
            && !name.trim().is_empty()
        {
            return Some((name.to_string(), value.span()));
        }
    }
    None
}

/// `"name": "..."` at the top level of package.json. serde_json keeps no spans, so the value is
/// parsed for correctness and then located in the text.
fn json_name(text: &str) -> Option<(String, std::ops::Range<usize>)> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    let name = value.get("name")?.as_str()?.to_string();
    if name.is_empty() {
        return None;
    }
    let quoted = serde_json::to_string(&name).ok()?;
    let key = text.find("\"name\"")?;
    let start = key + text[key..].find(&quoted)?;
    // Scoped npm names (`@acme/checkout`) become `checkout`, like Go module paths.
    let id = name.rsplit('/').next().unwrap_or(&name).to_string();
    Some((id, start..start + quoted.len()))
}

/// `module example.com/acme/billing` → `billing`.
fn go_module(text: &str) -> Option<(String, std::ops::Range<usize>)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("module")
            && rest.starts_with([' ', '\t'])
        {
            let path = rest.trim().trim_matches('"');
            let path = path.split("//").next().unwrap_or(path).trim();
            let start = offset + line.find(path)?;
            let id = path.rsplit('/').next().unwrap_or(path);
            // A major-version suffix (`/v2`) is not the package's name.
            let id = match path.rsplit('/').nth(1) {
                Some(parent)
                    if id.len() > 1
                        && id.starts_with('v')
                        && id[1..].bytes().all(|b| b.is_ascii_digit()) =>
                {
                    parent
                }
                _ => id,
            };
            if id.is_empty() {
                return None;
            }
            return Some((id.to_string(), start..start + path.len()));
        }
        offset += line.len();
    }
    None
}

/// Test helpers shared by the code extractors' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::source::{FileId, SourceFile};
    use std::sync::Arc;

    /// Source files with ids in the given order.
    pub(crate) fn files(entries: &[(&str, &str)]) -> Vec<SourceFile> {
        entries
            .iter()
            .enumerate()
            .map(|(i, (path, text))| {
                SourceFile::new(FileId(i as u32), (*path).into(), Arc::from(*text))
            })
            .collect()
    }

    /// The built-in rule data (the extractors do not consult it; the context needs one).
    #[allow(clippy::expect_used)]
    pub(crate) fn rules() -> crate::rules::RuleSet {
        crate::rules::RuleSet::builtin().expect("the built-in rule data loads")
    }

    /// The 1-based line a span starts on.
    pub(crate) fn line(files: &[SourceFile], span: Option<crate::source::Span>) -> u32 {
        span.and_then(|s| {
            files
                .get(s.file.0 as usize)
                .map(|f| f.line_column(s.start).line)
        })
        .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::files;
    use super::*;
    use crate::extract::Owners;

    #[test]
    fn nearest_package_and_manifest_paths() {
        let sources = files(&[
            ("Cargo.toml", "[workspace]\nmembers = [\"services/*\"]\n"),
            (
                "services/checkout/Cargo.toml",
                "[package]\nname = \"checkout\"\n",
            ),
            (
                "services/billing/go.mod",
                "module github.com/acme/billing/v2\n\ngo 1.22\n",
            ),
            (
                "web/package.json",
                "{\n  \"version\": \"1.0.0\",\n  \"name\": \"@acme/storefront\"\n}\n",
            ),
            (
                "jobs/pyproject.toml",
                "[tool.poetry]\nname = \"nightly-export\"\n",
            ),
        ]);
        let refs: Vec<&SourceFile> = sources.iter().collect();
        let packages = Packages::new(&refs);
        let rules = crate::extract::owners::testing::rules();
        let owners = Owners::new([(
            "payments".to_string(),
            "services/checkout/src/pay".to_string(),
        )]);
        let ctx = ExtractContext {
            rules: &rules,
            owners: &owners,
            terraform: &[],
        };
        let owner = |path: &str| {
            packages
                .owner_of(Utf8Path::new(path), &ctx)
                .map(|o| (o.id, o.from_package))
        };
        assert_eq!(
            owner("services/checkout/src/main.rs"),
            Some(("checkout".into(), true))
        );
        assert_eq!(
            owner("services/checkout/src/pay/card.rs"),
            Some(("payments".into(), false))
        );
        assert_eq!(
            owner("services/billing/cmd/main.go"),
            Some(("billing".into(), true))
        );
        assert_eq!(owner("web/src/app.ts"), Some(("storefront".into(), true)));
        assert_eq!(
            owner("jobs/export.py"),
            Some(("nightly-export".into(), true))
        );
        assert_eq!(owner("tools/x.rs"), None);
        let span = packages
            .nearest(Utf8Path::new("web/a.js"))
            .and_then(|o| o.span)
            .map(|s| s.start as usize..s.end as usize);
        assert_eq!(
            span.map(|r| &sources[3].text[r]),
            Some("\"@acme/storefront\"")
        );
    }

    #[test]
    fn services_are_named_as_their_deployments_name_them() {
        // The layouts of microservices-demo and opentelemetry-demo (names as in their manifests).
        let sources = files(&[
            ("src/adservice/Dockerfile", "FROM eclipse-temurin:21\n"),
            (
                "src/adservice/settings.gradle",
                "rootProject.name = 'hipstershop'\n",
            ),
            ("src/adservice/build.gradle", "plugins { id 'java' }\n"),
            ("src/currencyservice/Dockerfile", "FROM node:22\n"),
            (
                "src/currencyservice/package.json",
                "{\"name\": \"grpc-currency-service\"}",
            ),
            (
                "src/cartservice/src/cartservice.csproj",
                "<Project>\n</Project>\n",
            ),
            ("src/emailservice/requirements.txt", "grpcio==1.66\n"),
            ("src/email/Gemfile", "source 'https://rubygems.org'\n"),
            (
                "src/quote/composer.json",
                "{\"name\": \"opentelemetry-demo/quote\"}",
            ),
            (
                "src/fraud-detection/settings.gradle.kts",
                "rootProject.name = \"fraud-detection\"\n",
            ),
            (
                "java/ledger/pom.xml",
                "<project>\n  <parent>\n    <artifactId>bank-parent</artifactId>\n  </parent>\n  <artifactId>ledgerwriter</artifactId>\n</project>\n",
            ),
            ("tools/setup.py", "from setuptools import setup\n"),
            ("Dockerfile", "FROM scratch\n"),
            ("requirements.txt", "django\n"),
        ]);
        let refs: Vec<&SourceFile> = sources.iter().collect();
        let packages = Packages::new(&refs);
        let id = |path: &str| packages.nearest(Utf8Path::new(path)).map(|o| o.id.clone());
        assert_eq!(
            id("src/adservice/src/main/java/hipstershop/AdService.java").as_deref(),
            Some("adservice")
        );
        assert_eq!(
            id("src/currencyservice/server.js").as_deref(),
            Some("currencyservice")
        );
        assert_eq!(
            id("src/cartservice/src/services/CartService.cs").as_deref(),
            Some("cartservice")
        );
        assert_eq!(
            id("src/emailservice/email_server.py").as_deref(),
            Some("emailservice")
        );
        assert_eq!(id("src/email/email_server.rb").as_deref(), Some("email"));
        assert_eq!(id("src/quote/app/routes.php").as_deref(), Some("quote"));
        assert_eq!(
            id("src/fraud-detection/src/main/kotlin/Main.kt").as_deref(),
            Some("fraud-detection")
        );
        assert_eq!(
            id("java/ledger/src/main/java/Ledger.java").as_deref(),
            Some("ledgerwriter")
        );
        assert_eq!(id("tools/cli.py").as_deref(), Some("tools"));
        // The root has no name of its own: a Dockerfile or requirements.txt there names nothing.
        assert_eq!(id("manage.py"), None);
        assert!(is_package_manifest(Utf8Path::new("src/Api/Api.csproj")));
        assert!(!is_package_manifest(Utf8Path::new("src/Api/.csproj")));
    }

    #[test]
    fn malformed_manifests_say_where_and_valid_ones_are_quiet() {
        let at = |name: &str, text: &str| manifest_error(name, text).map(|(offset, _)| offset);
        assert_eq!(at("Cargo.toml", "[package]\nname = \"a\n"), Some(19));
        assert_eq!(at("package.json", "{\n  \"name\": 1,,\n}\n"), Some(14));
        assert_eq!(at("pyproject.toml", "[project]\n[project]\n"), Some(11));
        assert_eq!(at("Cargo.toml", "[workspace]\nmembers = []\n"), None);
        assert_eq!(at("package.json", "{\"private\": true}"), None);
        assert_eq!(at("go.mod", "module ((("), None);
        // An offset past a multi-byte character stays on a boundary.
        assert_eq!(offset_of("é\n", 1, 2), 0);
    }
}
