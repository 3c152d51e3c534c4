//! Static-site trees: a documentation or marketing site's links are not flows.
//!
//! A directory holding a static-site generator's configuration is a site: Hugo (`hugo.toml`, or a
//! `config.toml`/`config.yaml` whose top-level keys are Hugo's: `baseURL` with `languageCode`,
//! `theme`, `disableKinds`, menus...), MkDocs (`mkdocs.yml`), Jekyll and Jupyter Book
//! (`_config.yml`), Docusaurus (`docusaurus.config.js`), mdBook (`book.toml`), Antora
//! (`antora.yml`), VitePress (`.vitepress/config.*`) and Quarto (`_quarto.yml`). Its menus
//! (`url = "https://www.vendor.com/product"`), pages and page scripts are what readers of the
//! documentation click or load, not what the product sends, so the flows that configuration
//! values and code calls found in the tree are dropped, with one note per site saying so.
//!
//! The decision is by the tree, never by a directory name alone: a `docs/` or `website/` without
//! a generator's configuration is read like any other directory. A generator's configuration at
//! the repository root does not make the whole repository a site (many projects keep an
//! `mkdocs.yml` beside their code): there only the configuration file and the generator's own
//! content directories (`docs/` for MkDocs, `content/` and `layouts/` for Hugo...) are the site.
//! Declarations (manifest, annotations, comment tags) and infrastructure (Terraform, Kubernetes,
//! compose) in a site tree are kept: they say what is deployed, whatever directory holds them.

use crate::facts::{ExtractionDiagnostic, Facts, FlowTarget, Origin, Severity};
use crate::rule::Rule;
use crate::source::{FileId, SourceFile};
use camino::{Utf8Path, Utf8PathBuf};
use std::collections::{BTreeMap, BTreeSet};

/// At most this many sites are recognised in one repository (a bound on hostile trees).
const MAX_SITES: usize = 256;
/// Hugo configuration is recognised from this much of the file's start.
const HUGO_SNIFF: usize = 64 * 1024;

/// Top-level keys that only Hugo's site configuration has; one of them beside `baseURL` makes a
/// `config.toml` a Hugo site's (an application's config may have a base URL, not these).
const HUGO_KEYS: [&str; 16] = [
    "languagecode",
    "theme",
    "disablekinds",
    "defaultcontentlanguage",
    "menu",
    "menus",
    "markup",
    "taxonomies",
    "permalinks",
    "contentdir",
    "publishdir",
    "enablerobotstxt",
    "summarylength",
    "paginate",
    "hascjklanguage",
    "enablegitinfo",
];

/// One static site: the directory it covers and the generator that builds it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Site {
    /// The directory holding the generator's configuration (`""` for the repository root).
    pub root: Utf8PathBuf,
    /// The configuration file that makes it a site.
    pub marker: Utf8PathBuf,
    pub generator: &'static str,
}

impl Site {
    /// The directories (and the marker) this site covers: the whole root, except at the
    /// repository root, where only the generator's content directories are the site's.
    fn covers(&self, path: &Utf8Path) -> bool {
        if path == self.marker {
            return true;
        }
        if !self.root.as_str().is_empty() {
            return path.starts_with(&self.root);
        }
        content_directories(self.generator)
            .iter()
            .any(|directory| path.starts_with(directory))
    }
}

/// The directories a generator reads its pages, layouts and page scripts from, relative to its
/// configuration's directory.
fn content_directories(generator: &str) -> &'static [&'static str] {
    match generator {
        "Hugo" => &["content", "layouts", "themes", "archetypes", "static"],
        "MkDocs" => &["docs"],
        "Jekyll" => &["_posts", "_layouts", "_includes", "_site"],
        "Docusaurus" => &["docs", "blog"],
        "VitePress" => &[".vitepress"],
        "Antora" => &["modules"],
        _ => &[],
    }
}

/// True for the file names that may make a directory a static site: the files the env extractor
/// claims so that the walk lists them.
pub fn is_marker_name(path: &Utf8Path) -> bool {
    let name = path.file_name().unwrap_or("").to_ascii_lowercase();
    generator_by_name(path, &name).is_some()
}

/// The generator a configuration file's name alone says, if any.
fn generator_by_name(path: &Utf8Path, name: &str) -> Option<&'static str> {
    let (stem, extension) = name.rsplit_once('.')?;
    let yaml = matches!(extension, "yml" | "yaml");
    let script = matches!(extension, "js" | "ts" | "mjs" | "cjs" | "mts");
    let in_vitepress = path
        .parent()
        .and_then(Utf8Path::file_name)
        .is_some_and(|d| d == ".vitepress");
    Some(match stem {
        "hugo" if yaml || matches!(extension, "toml" | "json") => "Hugo",
        "mkdocs" if yaml => "MkDocs",
        "_config" if yaml => "Jekyll",
        "docusaurus.config" if script => "Docusaurus",
        "book" if extension == "toml" => "mdBook",
        "antora" | "antora-playbook" if yaml => "Antora",
        "_quarto" if yaml => "Quarto",
        "config" if script && in_vitepress => "VitePress",
        _ => return None,
    })
}

/// True when a `config.toml`/`config.yaml` is a Hugo site's: a top-level `baseURL` and one of
/// [`HUGO_KEYS`] (as a key or a `[table]`).
fn is_hugo_config(text: &str) -> bool {
    // The sniffed head ends on a character boundary, so a multibyte character at the limit
    // never hides the whole file.
    let mut limit = HUGO_SNIFF.min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let head = text.get(..limit).unwrap_or("");
    let mut base_url = false;
    let mut hugo_key = false;
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            continue;
        }
        let key: String = line
            .trim_start_matches('[')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>()
            .to_ascii_lowercase();
        let rest = line
            .trim_start_matches('[')
            .get(key.len()..)
            .unwrap_or("")
            .trim_start();
        let is_key = rest.starts_with('=') || rest.starts_with(':');
        let is_table = line.starts_with('[') && (rest.starts_with(']') || rest.starts_with('.'));
        if key == "baseurl" && is_key {
            base_url = true;
        } else if (is_key || is_table) && HUGO_KEYS.contains(&key.as_str()) {
            hugo_key = true;
        }
        if base_url && hugo_key {
            return true;
        }
    }
    false
}

/// The static site a file makes, if it is a generator's configuration.
fn site_of(file: &SourceFile) -> Option<Site> {
    let name = file.path.file_name().unwrap_or("").to_ascii_lowercase();
    let parent = file.path.parent().unwrap_or(Utf8Path::new(""));
    let generator = match generator_by_name(&file.path, &name) {
        Some(generator) => generator,
        None => {
            let (stem, extension) = name.rsplit_once('.')?;
            if stem != "config"
                || !matches!(extension, "toml" | "yaml" | "yml")
                || !is_hugo_config(&file.text)
            {
                return None;
            }
            "Hugo"
        }
    };
    // VitePress keeps its configuration in `<site>/.vitepress/`; Hugo may keep it in
    // `<site>/config/_default/`.
    let root = if generator == "VitePress" {
        parent.parent().unwrap_or(Utf8Path::new(""))
    } else if parent.file_name() == Some("_default")
        && parent.parent().and_then(Utf8Path::file_name) == Some("config")
    {
        parent
            .parent()
            .and_then(Utf8Path::parent)
            .unwrap_or(Utf8Path::new(""))
    } else {
        parent
    };
    Some(Site {
        root: root.to_path_buf(),
        marker: file.path.clone(),
        generator,
    })
}

/// The static sites among `files` (the files the extractors hold whole), in path order.
pub fn find<'a>(files: impl IntoIterator<Item = &'a SourceFile>) -> Vec<Site> {
    let mut sites: Vec<Site> = files.into_iter().filter_map(site_of).collect();
    sites.sort();
    sites.dedup_by(|a, b| a.root == b.root && !a.root.as_str().is_empty());
    sites.truncate(MAX_SITES);
    sites
}

/// True for the origins of facts a site's files cannot make into flows: configuration values and
/// code calls (what a reader clicks), not declarations or infrastructure.
fn is_read_from_text(origin: Origin) -> bool {
    matches!(origin, Origin::Env | Origin::AppConfig | Origin::Inference)
}

/// Drops the flows that configuration values and code calls in a site's files gave, and the
/// inferred nodes that sent only those; one note per site that lost any says why.
pub fn quiet(sites: &[Site], paths: &BTreeMap<FileId, &Utf8Path>, facts: &mut Facts) {
    if sites.is_empty() {
        return;
    }
    let site_of_file = |file: FileId| -> Option<&Site> {
        let path = paths.get(&file)?;
        sites.iter().find(|site| site.covers(path))
    };
    let mut silenced: BTreeMap<&Site, usize> = BTreeMap::new();
    // The senders of dropped flows: an inferred node named after a site's directory exists only
    // to send what the site's files named (it has no span of its own to place it by).
    let mut senders: BTreeSet<String> = BTreeSet::new();
    facts.flows.retain(|flow| {
        let site = flow
            .span
            .filter(|_| is_read_from_text(flow.origin))
            .and_then(|span| site_of_file(span.file));
        match site {
            Some(site) => {
                *silenced.entry(site).or_default() += 1;
                if let Some(from) = &flow.from {
                    senders.insert(from.id.clone());
                }
                false
            }
            None => true,
        }
    });
    if silenced.is_empty() {
        return;
    }
    let referenced: BTreeSet<&str> = facts
        .flows
        .iter()
        .flat_map(|flow| {
            let to = match &flow.to {
                FlowTarget::Node(node) => Some(node.id.as_str()),
                FlowTarget::Host { .. } => None,
            };
            flow.from
                .as_ref()
                .map(|n| n.id.as_str())
                .into_iter()
                .chain(to)
        })
        .collect();
    let dropped: BTreeSet<String> = senders
        .into_iter()
        .filter(|id| !referenced.contains(id.as_str()))
        .collect();
    facts.nodes.retain(|node| {
        !(node.inferred && is_read_from_text(node.origin) && dropped.contains(&node.id))
    });
    for (site, count) in silenced {
        let tree = if site.root.as_str().is_empty() {
            format!(
                "`{}` and its content directories ({})",
                site.marker,
                content_directories(site.generator).join(", ")
            )
        } else {
            format!("`{}/`", site.root)
        };
        facts.diagnostics.push(ExtractionDiagnostic {
            rule: Rule::InputError,
            severity: Severity::Note,
            message: format!(
                "{tree} is a static site ({} configuration `{}`): its {count} link(s) to outside \
                 hosts are documentation readers follow, not flows of the product; declare a \
                 flow in the manifest if the site itself sends personal data",
                site.generator, site.marker
            ),
            span: None,
            path: Some(site.marker.to_string()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn file(id: u32, path: &str, text: &str) -> SourceFile {
        SourceFile::new(FileId(id), Utf8PathBuf::from(path), Arc::from(text))
    }

    #[test]
    fn sites_are_found_by_their_generator_configuration() {
        let hugo = "title = \"Vector\"\nbaseURL = \"https://vector.dev\"\nlanguageCode = \"en-us\"\n[[languages.en.menus.navbar]]\nurl = \"https://www.datadoghq.com/product\"\n";
        let app =
            "baseURL = \"https://api.vendor.com\"\ntitle = \"worker\"\n[server]\nport = 8080\n";
        let files = [
            file(1, "website/config.toml", hugo),
            file(2, "svc/config.toml", app),
            file(3, "mkdocs.yml", "site_name: x\n"),
            file(4, "docs/.vitepress/config.ts", "export default {}\n"),
            file(5, "site/config/_default/hugo.toml", "baseURL = 'x'\n"),
        ];
        let sites: Vec<(String, String, &str)> = find(&files)
            .into_iter()
            .map(|s| (s.root.to_string(), s.marker.to_string(), s.generator))
            .collect();
        assert_eq!(
            sites,
            [
                ("".into(), "mkdocs.yml".into(), "MkDocs"),
                (
                    "docs".into(),
                    "docs/.vitepress/config.ts".into(),
                    "VitePress"
                ),
                (
                    "site".into(),
                    "site/config/_default/hugo.toml".into(),
                    "Hugo"
                ),
                ("website".into(), "website/config.toml".into(), "Hugo"),
            ]
        );
        let root = &find(&files[2..3])[0];
        assert!(root.covers(Utf8Path::new("docs/index.md")));
        assert!(root.covers(Utf8Path::new("mkdocs.yml")));
        assert!(!root.covers(Utf8Path::new("src/client.py")));
        assert!(!root.covers(Utf8Path::new("docsite/a.js")));
    }
}
