//! The call matcher: which URL literals in a source file are passed to an HTTP client.
//!
//! The file is lexed into comments and strings ([`SourceFile::pieces`]) and nothing else: no
//! parser, no execution. A *URL expression* is
//! - a string literal that starts with a `scheme://host` URL (a literal with a URL in the middle
//!   is prose: a log message, an error, a JSON body);
//! - a template literal that starts with a bound name: `f"{BASE}/v1"`, `` `${BASE}/x` ``,
//!   `"#{BASE}/x"`, `$"{Base}/x"`, `"$base/x"`;
//! - an identifier bound in the same file to a URL expression (`API_URL = "https://..."`,
//!   `const BASE = '...'`, `static final String X = "..."`, Go `const`/`:=`, Rust `const`/`static`/
//!   `let`), wherever it is used (`BASE + "/x"`, `fmt.Sprintf("%s/x", base)`).
//!
//! A URL expression is *passed to* a client when the innermost open bracket around it is the
//! argument list of a call whose name (the dotted, `::` or `->` chain just before the `(`) is a
//! client call of the file's language ([`is_client_call`]), at the top level of that argument
//! list, or inside an object/dict/array literal argument under a key that names an address
//! (`baseURL:`, `'base_uri' =>`, `BaseAddress =`). Wrappers pass the expression outward:
//! `URI.create(..)`, `new Uri(..)`, `URI(..)`, `url.Parse`, `format!`, `fmt.Sprintf`,
//! `String.format`, `urljoin`. A top-level argument after a keyword that does not name an
//! address (`data="https://..."`, `headers={"Referer": ...}`) is not the destination. Ruby calls
//! without parentheses (`HTTParty.get "https://..."`, `base_uri "..."`) count as well.
//!
//! Everything else is quiet: comments and docstrings, URLs in log, print and exception calls, in
//! response bodies, in tables (a dict of regions is not a call), returned from functions.
//!
//! The categories a call visibly sends are the keys of object/dict literals and the keyword
//! arguments inside its argument list (`json={"email": ..}`, `{ email, phone }`, `"email" =>`,
//! `email:`), mapped by the rule data's field names (`RuleSet::category_for_field`); a call that
//! shows none sends unknown data.
//!
//! Every scan is bounded: the file, the bindings, the occurrences and the distance looked back.

use super::super::urls;
use crate::rules::RuleSet;
use crate::source::SourceFile;
use crate::source::lexer::PieceKind;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

/// Files larger than this are bundles or generated code, not a service's client module.
pub(crate) const MAX_FILE: usize = 2 << 20;
/// How far back from a URL expression the enclosing call is looked for.
const LOOK_BACK: usize = 4096;
/// How far forward a call's argument list is read for categories.
const LOOK_AHEAD: usize = 4096;
/// Bound names per file, and uses of them examined per file.
const MAX_BINDINGS: usize = 512;
const MAX_USES: usize = 20_000;
/// URL literals examined per file (a file of thousands is a data dump, not a client module).
const MAX_URL_LITERALS: usize = 10_000;
/// Wrappers passed outward through, at most.
const MAX_WRAPPERS: usize = 4;

/// The languages whose calls are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Python,
    JavaScript,
    Go,
    Java,
    Ruby,
    CSharp,
    Php,
    Rust,
}

/// The language of a source file, by its extension.
pub(crate) fn lang_for(path: &str) -> Option<Lang> {
    let extension = path.rsplit_once('.').map(|(_, e)| e)?;
    Some(match extension {
        "py" => Lang::Python,
        "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" => Lang::JavaScript,
        "go" => Lang::Go,
        "java" | "kt" | "kts" | "scala" | "groovy" => Lang::Java,
        "rb" | "rake" => Lang::Ruby,
        "cs" => Lang::CSharp,
        "php" => Lang::Php,
        "rs" => Lang::Rust,
        _ => return None,
    })
}

/// A host that a call in the file sends to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CallHost {
    pub host: String,
    /// The host as written in its literal.
    pub host_range: Range<usize>,
    /// The call's name and arguments, up to the URL expression (where findings point).
    pub call_range: Range<usize>,
    /// (category, range of the key that shows it).
    pub data: Vec<(String, Range<usize>)>,
}

/// A region table whose entry is chosen at run time by code that sends (issue 14): one
/// `unknown-location` note for the choice, naming the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TableChoice {
    /// The table's name as the code calls it (`Region::endpoint`).
    pub name: String,
    /// The table's first entry's host as written (where the note points).
    pub at: Range<usize>,
    /// The distinct hosts of the table, in the table's order.
    pub hosts: Vec<String>,
}

/// Hosts of the URL expressions passed to client calls, in file order.
#[cfg(test)]
pub(crate) fn outbound_calls(file: &SourceFile, lang: Lang, rules: &RuleSet) -> Vec<CallHost> {
    outbound(file, lang, rules).0
}

/// Hosts of the URL expressions passed to client calls, in file order, and the region tables
/// chosen among at run time. `rules` names the fields whose keys show what a call sends.
pub(crate) fn outbound(
    file: &SourceFile,
    lang: Lang,
    rules: &RuleSet,
) -> (Vec<CallHost>, Vec<TableChoice>) {
    let text: &str = &file.text;
    if text.len() > MAX_FILE || memchr::memmem::find(text.as_bytes(), b"://").is_none() {
        return (Vec::new(), Vec::new());
    }
    let strings: Vec<Range<usize>> = file
        .pieces()
        .iter()
        .filter(|p| p.kind == PieceKind::String)
        .map(|p| p.range.clone())
        .collect();
    let code = masked(text, file);
    let scan = Scan {
        text,
        code: &code,
        lang,
        strings: &strings,
        rules,
    };
    let mut found = Vec::new();
    let mut bindings: BTreeMap<String, Bound> = BTreeMap::new();
    // Rust `match` arms that map an enum variant to a URL (`Region::Eu => "https://..."`).
    let mut arms: BTreeMap<String, (String, Range<usize>)> = BTreeMap::new();
    // Python/JavaScript map entries of a URL under a key: (map name, key) -> host.
    let mut entries: BTreeMap<(String, String), (String, Range<usize>)> = BTreeMap::new();
    let mut literals = 0;
    // Literals and templates, in file order: a binding is known to the literals after it.
    for string in &strings {
        let Some(host) = scan.literal_host(string, &bindings) else {
            continue;
        };
        literals += 1;
        if literals > MAX_URL_LITERALS {
            break;
        }
        let start = scan.literal_start(string.start);
        match scan.destination(start, 0) {
            Destination::Call { open, name_start } => {
                found.push(scan.call_host(host, name_start, start, open));
            }
            Destination::Binding(name) => {
                if bindings.len() < MAX_BINDINGS {
                    bindings.entry(name).or_insert(Bound {
                        host,
                        defined_at: start,
                    });
                }
            }
            Destination::Other => {
                if lang == Lang::Rust
                    && arms.len() < MAX_BINDINGS
                    && let Some(variant) = scan.arm_pattern(start)
                {
                    arms.entry(variant).or_insert(host);
                } else if matches!(lang, Lang::Python | Lang::JavaScript)
                    && entries.len() < MAX_BINDINGS
                    && let Some(entry) = scan.map_entry(start)
                {
                    entries.entry(entry).or_insert(host);
                }
            }
        }
    }
    // Uses of bound names in code.
    let mut uses = 0;
    let choices = table_selections(&scan, &arms, &mut uses, &mut found);
    map_selections(&scan, &entries, &mut uses, &mut found, &mut bindings);
    for (name, bound) in &bindings {
        for at in memchr::memmem::find_iter(&code, name.as_bytes()) {
            uses += 1;
            if uses > MAX_USES {
                break;
            }
            let end = at + name.len();
            let before = at.checked_sub(1).and_then(|i| code.get(i)).copied();
            let after = code.get(end).copied();
            if before.is_some_and(|b| is_ident(b) || b == b'$')
                || after.is_some_and(is_ident)
                || same_line(text, at, bound.defined_at)
            {
                continue;
            }
            // `$base` (PHP) and `@base` (Ruby) are the same name.
            let start = if matches!(before, Some(b'$' | b'@')) {
                at - 1
            } else {
                at
            };
            // A use that is itself the target of an assignment binds, it does not send.
            if let Destination::Call { open, name_start } = scan.destination(start, 0) {
                found.push(scan.call_host(bound.host.clone(), name_start, start, open));
            }
        }
        if uses > MAX_USES {
            break;
        }
    }
    found.sort_by_key(|call| (call.call_range.start, call.host_range.start));
    found.dedup_by(|a, b| a.host == b.host && a.call_range.start == b.call_range.start);
    (found, choices)
}

/// A region table is a `match` of at least this many enum variants to URLs (issue 14): the
/// endpoints of a vendor's regions, of which a deployment uses one.
const MIN_TABLE_ARMS: usize = 3;
/// Table variants looked up in a file, at most: each is one pass over the file.
const MAX_TABLE_VARIANTS: usize = 64;

/// Rust region tables: a `match` whose arms map at least [`MIN_TABLE_ARMS`] variants of one
/// enum to URLs is a table of options, and none of its URLs is a flow by being there (they are
/// returned from a function, which the matcher already keeps quiet). When the code names the
/// variant where a client call uses the table (`client.post(Region::Us.endpoint())`,
/// `client.post(endpoint(Region::Us))`, through `format!` and the other wrappers), the selection
/// is known and that one arm's URL is the flow. A selection read from configuration at run time
/// (`config.region.endpoint()`) names no variant: in a file that sends (it has a client call),
/// the table is one choice made at run time, returned for one `unknown-location` note; a table
/// the file never calls, or in a file that sends nothing, stays quiet.
fn table_selections(
    scan: &Scan<'_>,
    arms: &BTreeMap<String, (String, Range<usize>)>,
    uses: &mut usize,
    found: &mut Vec<CallHost>,
) -> Vec<TableChoice> {
    let mut per_enum: BTreeMap<&str, Vec<&(String, Range<usize>)>> = BTreeMap::new();
    for (variant, host) in arms {
        if let Some((enum_path, _)) = variant.rsplit_once("::") {
            per_enum.entry(enum_path).or_default().push(host);
        }
    }
    let tabled = arms.iter().filter(|(variant, _)| {
        variant
            .rsplit_once("::")
            .is_some_and(|(path, _)| per_enum.get(path).map_or(0, Vec::len) >= MIN_TABLE_ARMS)
    });
    for (variant, host) in tabled.take(MAX_TABLE_VARIANTS) {
        for at in memchr::memmem::find_iter(scan.code, variant.as_bytes()) {
            *uses += 1;
            if *uses > MAX_USES {
                return Vec::new();
            }
            let end = at + variant.len();
            let before = at.checked_sub(1).and_then(|i| scan.code.get(i)).copied();
            if before.is_some_and(|b| is_ident(b) || b == b':')
                || scan.code.get(end).copied().is_some_and(is_ident)
                || scan.is_arm_pattern(end)
            {
                continue;
            }
            if let Destination::Call { open, name_start } = scan.selection_destination(at) {
                found.push(scan.call_host(host.clone(), name_start, at, open));
            }
        }
    }
    let mut choices = Vec::new();
    let mut sends: Option<bool> = None;
    for (enum_path, hosts) in per_enum {
        if hosts.len() < MIN_TABLE_ARMS || choices.len() >= MAX_TABLE_VARIANTS {
            continue;
        }
        let mut hosts = hosts;
        hosts.sort_by_key(|(_, range)| range.start);
        let Some((_, first)) = hosts.first() else {
            continue;
        };
        let Some(function) = scan.enclosing_fn(first.start) else {
            continue;
        };
        if !scan.called_at_run_time(&function, enum_path, uses) {
            continue;
        }
        if !*sends.get_or_insert_with(|| scan.has_client_call()) {
            break;
        }
        let mut names: Vec<String> = Vec::new();
        for (host, _) in &hosts {
            if !names.contains(host) {
                names.push(host.clone());
            }
        }
        choices.push(TableChoice {
            name: format!("{enum_path}::{function}"),
            at: first.clone(),
            hosts: names,
        });
    }
    choices
}

/// Python/JavaScript region maps: a dict or object literal bound to a name whose entries map at
/// least [`MIN_TABLE_ARMS`] keys to URLs is a table of options (quiet, like any literal in a
/// map). Where the code selects an entry by a literal key at a client call (`API_HOSTS["eu"]`,
/// `SERVER_URLS.eu`), the selection is known and that entry's URL is the flow; bound to a name
/// (`host = API_HOSTS["us"]`), it is that name's URL.
fn map_selections(
    scan: &Scan<'_>,
    entries: &BTreeMap<(String, String), (String, Range<usize>)>,
    uses: &mut usize,
    found: &mut Vec<CallHost>,
    bindings: &mut BTreeMap<String, Bound>,
) {
    let mut per_map: BTreeMap<&str, usize> = BTreeMap::new();
    for (map, _) in entries.keys() {
        *per_map.entry(map.as_str()).or_default() += 1;
    }
    for (map, count) in per_map {
        if count < MIN_TABLE_ARMS {
            continue;
        }
        for at in memchr::memmem::find_iter(scan.code, map.as_bytes()) {
            *uses += 1;
            if *uses > MAX_USES {
                return;
            }
            let end = at + map.len();
            let before = at.checked_sub(1).and_then(|i| scan.code.get(i)).copied();
            if before.is_some_and(|b| is_ident(b) || b == b'.') {
                continue;
            }
            let Some(key) = scan.literal_key(end) else {
                continue;
            };
            let Some(host) = entries.get(&(map.to_string(), key)) else {
                continue;
            };
            match scan.destination(at, 0) {
                Destination::Call { open, name_start } => {
                    found.push(scan.call_host(host.clone(), name_start, at, open));
                }
                Destination::Binding(name) => {
                    if bindings.len() < MAX_BINDINGS {
                        bindings.entry(name).or_insert(Bound {
                            host: host.clone(),
                            defined_at: at,
                        });
                    }
                }
                Destination::Other => {}
            }
        }
    }
}

/// A name bound to a URL expression.
#[derive(Clone, Debug)]
struct Bound {
    host: (String, Range<usize>),
    defined_at: usize,
}

/// Where a URL expression goes.
#[derive(Debug, PartialEq, Eq)]
enum Destination {
    /// An argument of a client call: the `(` of its argument list and where its name starts.
    Call {
        open: usize,
        name_start: usize,
    },
    /// Assigned to a name.
    Binding(String),
    Other,
}

struct Scan<'a> {
    text: &'a str,
    /// The text with comments and string contents blanked (quotes kept), so brackets and
    /// names in prose never count.
    code: &'a [u8],
    lang: Lang,
    strings: &'a [Range<usize>],
    /// The rule data, for the field names that mean personal data.
    rules: &'a RuleSet,
}

impl Scan<'_> {
    /// The host of a literal that starts with a URL, or with a template naming a bound URL.
    fn literal_host(
        &self,
        string: &Range<usize>,
        bindings: &BTreeMap<String, Bound>,
    ) -> Option<(String, Range<usize>)> {
        let literal = self.text.get(string.clone())?;
        let leading = literal.len() - literal.trim_start().len();
        let body = &literal[leading..];
        if let Some(url) = urls::urls_in(body).into_iter().next()
            && url.range.start == 0
        {
            let scheme = &body[url.scheme.clone()];
            if scheme.eq_ignore_ascii_case("file") {
                return None;
            }
            let host = urls::public_host(&body[url.host.clone()])?;
            let offset = string.start + leading;
            return Some((host, offset + url.host.start..offset + url.host.end));
        }
        // A template that starts with a bound name: `{BASE}`, `${BASE}`, `#{BASE}`, `$base`.
        let name = template_head(body)?;
        bindings.get(name).map(|bound| bound.host.clone())
    }

    /// Where the expression of a string literal starts: its opening quotes and prefixes
    /// (`f"`, `r#"`, `$"`, `@"`, `"""`).
    fn literal_start(&self, content_start: usize) -> usize {
        let mut i = content_start;
        let mut quotes = 0;
        while i > 0 && quotes < 4 && matches!(self.code[i - 1], b'"' | b'\'' | b'`' | b'#') {
            i -= 1;
            quotes += 1;
        }
        let mut prefix = 0;
        while i > 0
            && prefix < 2
            && matches!(
                self.code[i - 1],
                b'f' | b'F' | b'r' | b'R' | b'b' | b'B' | b'u' | b'U' | b'$' | b'@'
            )
            && (i < 2
                || !is_ident(self.code[i - 2])
                || prefix == 0 && matches!(self.code[i - 2], b'$' | b'@'))
        {
            i -= 1;
            prefix += 1;
        }
        i
    }

    /// Where the expression starting at `start` goes.
    fn destination(&self, start: usize, wrappers: usize) -> Destination {
        let key = self.key_before(start);
        // `client.BaseAddress = new Uri(...)`: C#'s client address property.
        if let Some(Key::Assign(name)) = &key
            && name == "BaseAddress"
        {
            return Destination::Call {
                open: start,
                name_start: self.word_start(start),
            };
        }
        let Some((open, bracket)) = self.enclosing(start) else {
            if let Some(Key::Assign(name)) = key {
                return Destination::Binding(name);
            }
            return self.paren_less_call(start);
        };
        match bracket {
            b'(' => {
                // Go's `const ( base = "..." )` and `var ( ... )` blocks bind names.
                if let Some(Key::Named(name)) = &key
                    && self.lang == Lang::Go
                    && matches!(self.callee(open).0.as_str(), "const" | "var")
                {
                    return Destination::Binding(name.clone());
                }
                if let Some(Key::Named(name) | Key::Assign(name)) = &key
                    && !names_address(name)
                {
                    return Destination::Other;
                }
                self.call_at(open, wrappers)
            }
            _ => {
                // A field or constant in a class or function body binds its name, unless the
                // braces are an initialiser of a client (below).
                let found = self.in_literal(start, open, bracket, key.as_ref(), wrappers);
                match (found, key) {
                    (Destination::Other, Some(Key::Assign(name))) if bracket == b'{' => {
                        Destination::Binding(name)
                    }
                    (found, _) => found,
                }
            }
        }
    }

    /// The destination of an expression inside an object, dict or array literal (or a body)
    /// whose opening bracket is at `open`.
    fn in_literal(
        &self,
        _start: usize,
        open: usize,
        bracket: u8,
        key: Option<&Key>,
        wrappers: usize,
    ) -> Destination {
        {
            {
                // An object, dict or array literal: only under an address key, and only when the
                // literal is itself an argument (`axios.create({ baseURL })`, C#'s `new
                // HttpClient { BaseAddress = ... }` initialiser).
                let Some(Key::Named(name) | Key::Assign(name)) = key else {
                    return Destination::Other;
                };
                if !names_address(name) {
                    return Destination::Other;
                }
                let before = self.skip_space_back(open);
                match before.and_then(|i| self.code.get(i)) {
                    Some(b'(' | b',') => match self.enclosing(open) {
                        Some((outer, b'(')) => self.call_at(outer, wrappers),
                        _ => Destination::Other,
                    },
                    Some(b')') if bracket == b'{' => {
                        let Some(close) = before else {
                            return Destination::Other;
                        };
                        match self.matching_open(close) {
                            Some(inner) => self.call_at(inner, wrappers),
                            None => Destination::Other,
                        }
                    }
                    Some(b) if bracket == b'{' && is_ident(*b) => {
                        // `new HttpClient {`: the object created is the client.
                        let Some(end) = before else {
                            return Destination::Other;
                        };
                        let (name, name_start) = self.callee(end + 1);
                        if self.is_new(name_start) && is_client_call(self.lang, &name, true) {
                            Destination::Call { open, name_start }
                        } else {
                            Destination::Other
                        }
                    }
                    _ => Destination::Other,
                }
            }
        }
    }

    /// The destination when the expression is an argument of the call whose `(` is at `open`.
    fn call_at(&self, open: usize, wrappers: usize) -> Destination {
        let (name, name_start) = self.callee(open);
        if name.is_empty() {
            return Destination::Other;
        }
        let new = self.is_new(name_start);
        if is_wrapper(self.lang, &name, new) {
            if wrappers >= MAX_WRAPPERS {
                return Destination::Other;
            }
            let start = if new {
                self.new_start(name_start)
            } else {
                name_start
            };
            return self.destination(start, wrappers + 1);
        }
        if is_client_call(self.lang, &name, new) {
            Destination::Call { open, name_start }
        } else {
            Destination::Other
        }
    }

    /// The enum variant path (`Region::Eu`) of the `match` arm whose value starts at `start`
    /// (`Region::Eu => "https://..."` or `Region::Eu => { "https://..." }`).
    fn arm_pattern(&self, start: usize) -> Option<String> {
        let mut end = self.skip_space_back(start)?;
        if self.code[end] == b'{' {
            end = self.skip_space_back(end)?;
        }
        if end < 1 || &self.code[end - 1..=end] != b"=>" {
            return None;
        }
        let last = self.skip_space_back(end - 1)?;
        if !is_ident(self.code[last]) {
            return None;
        }
        let (name, _) = self.callee(last + 1);
        // `callee` joins `::` segments with `.`; a variant has an enum path before it.
        let segments: Vec<&str> = name.split('.').collect();
        if segments.len() < 2 || segments.iter().any(|s| s.is_empty()) {
            return None;
        }
        Some(segments.join("::"))
    }

    /// The name of the Rust function whose body holds `at`: the nearest `fn NAME` before it.
    fn enclosing_fn(&self, at: usize) -> Option<String> {
        let floor = at.saturating_sub(LOOK_BACK);
        let window = self.code.get(floor..at)?;
        let mut from = window.len();
        while let Some(i) = memchr::memmem::rfind(&window[..from], b"fn ") {
            from = i;
            if i > 0 && is_ident(window[i - 1]) {
                continue;
            }
            let name: String = window[i + 3..]
                .iter()
                .copied()
                .skip_while(u8::is_ascii_whitespace)
                .take_while(|b| is_ident(*b))
                .map(char::from)
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        None
    }

    /// True when the file calls `function` without naming a variant of `enum_path`
    /// (`config.region.endpoint()`, `self.endpoint()`, `endpoint(region)`): the variant is
    /// chosen at run time.
    fn called_at_run_time(&self, function: &str, enum_path: &str, uses: &mut usize) -> bool {
        let enum_name = enum_path.rsplit("::").next().unwrap_or(enum_path);
        let named = format!("{enum_name}::");
        for at in memchr::memmem::find_iter(self.code, function.as_bytes()) {
            *uses += 1;
            if *uses > MAX_USES {
                return false;
            }
            let end = at + function.len();
            let before = at.checked_sub(1).and_then(|i| self.code.get(i)).copied();
            if before.is_some_and(is_ident) || self.code.get(end).copied().is_some_and(is_ident) {
                continue;
            }
            let Some(open) = self.skip_space_forward(end, self.code.len()) else {
                continue;
            };
            if self.code[open] != b'(' {
                continue;
            }
            // The definition itself.
            if at >= 3 && &self.code[at - 3..at] == b"fn " {
                continue;
            }
            // `Region::Us.endpoint()`: the receiver names the variant.
            let receiver_start = self.path_start(at.saturating_sub(1));
            let receiver = self.code.get(receiver_start..at).unwrap_or(&[]);
            if before == Some(b'.') && memchr::memmem::find(receiver, named.as_bytes()).is_some() {
                continue;
            }
            // `endpoint(Region::Us)`: the argument names it.
            let close = self.matching_close(open);
            let arguments = self.code.get(open..close).unwrap_or(&[]);
            if memchr::memmem::find(arguments, named.as_bytes()).is_some() {
                continue;
            }
            return true;
        }
        false
    }

    /// Where the path (`Region::Us`, `a::b`) ending just before `end` starts.
    fn path_start(&self, end: usize) -> usize {
        let mut i = end;
        while i > 0 && end - i < 256 && (is_ident(self.code[i - 1]) || self.code[i - 1] == b':') {
            i -= 1;
        }
        i
    }

    /// True when the file has a call the matcher counts as a client call: the file sends.
    fn has_client_call(&self) -> bool {
        for (seen, open) in memchr::memchr_iter(b'(', self.code).enumerate() {
            if seen > MAX_USES {
                return false;
            }
            let (name, _) = self.callee(open);
            if !name.is_empty() && is_client_call(self.lang, &name, false) {
                return true;
            }
        }
        false
    }

    /// The map and key of a literal that is an entry of a dict or object literal bound to a
    /// name: `API_HOSTS = {"us": "https://..."}`, `const URLS: Record<string, string> = { us:
    /// "https://..." }`.
    fn map_entry(&self, start: usize) -> Option<(String, String)> {
        let colon = self.skip_space_back(start)?;
        if self.code[colon] != b':' {
            return None;
        }
        let key_end = self.skip_space_back(colon)?;
        let key = if matches!(self.code[key_end], b'"' | b'\'') {
            let index = self.strings.partition_point(|s| s.end < key_end);
            let string = self.strings.get(index).filter(|s| s.end == key_end)?;
            self.text.get(string.clone())?.to_string()
        } else if is_ident(self.code[key_end]) {
            let key_start = self.word_start(key_end + 1);
            self.text.get(key_start..=key_end)?.to_string()
        } else {
            return None;
        };
        if key.is_empty() || key.len() > 64 {
            return None;
        }
        let (open, bracket) = self.enclosing(start)?;
        if bracket != b'{' {
            return None;
        }
        let equals = self.skip_space_back(open)?;
        if self.code[equals] != b'='
            || equals == 0
            || matches!(self.code[equals - 1], b'=' | b'!' | b'<' | b'>')
        {
            return None;
        }
        // The bound name: the line's first identifier after its declaration keywords.
        let line_start = memchr::memrchr(b'\n', &self.code[..equals]).map_or(0, |i| i + 1);
        let line = self.text.get(line_start..equals)?.trim();
        let mut rest = line;
        for keyword in ["export ", "const ", "let ", "var ", "static ", "readonly "] {
            rest = rest.strip_prefix(keyword).unwrap_or(rest).trim_start();
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
            .collect();
        (!name.is_empty()).then_some((name, key))
    }

    /// The literal key selected right after a map's name: `["eu"]`, `['eu']`, `.eu`.
    fn literal_key(&self, end: usize) -> Option<String> {
        match self.code.get(end)? {
            b'[' => {
                let index = self.strings.partition_point(|s| s.start < end + 2);
                let string = self.strings.get(index).filter(|s| s.start == end + 2)?;
                let close = string.end + 1;
                if !matches!(self.code.get(end + 1)?, b'"' | b'\'')
                    || self.code.get(close) != Some(&b']')
                {
                    return None;
                }
                self.text.get(string.clone()).map(str::to_string)
            }
            b'.' if self.lang == Lang::JavaScript => {
                let key_end = self.word_end(end + 1);
                let key = self.text.get(end + 1..key_end)?;
                (!key.is_empty()).then(|| key.to_string())
            }
            _ => None,
        }
    }

    /// Where the identifier starting at `start` ends.
    fn word_end(&self, start: usize) -> usize {
        let mut i = start;
        while i < self.code.len() && i - start < 256 && is_ident(self.code[i]) {
            i += 1;
        }
        i
    }

    /// True when the path ending at `end` is a `match` arm's pattern (followed by `=>` or `|`).
    fn is_arm_pattern(&self, end: usize) -> bool {
        let rest = self.code.get(end..).unwrap_or(&[]);
        let next: Vec<u8> = rest
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .take(2)
            .collect();
        next.starts_with(b"=>") || next.first() == Some(&b'|')
    }

    /// Where a variant named at `at` goes: as the receiver of a method (`Region::Us.endpoint()`)
    /// or the argument of a function (`endpoint(Region::Us)`) whose result is passed on.
    fn selection_destination(&self, at: usize) -> Destination {
        match self.destination(at, 0) {
            Destination::Other => {}
            found => return found,
        }
        // `endpoint(Region::Us)`: the function's result goes where its call goes.
        match self.enclosing(at) {
            Some((open, b'(')) => {
                let (name, name_start) = self.callee(open);
                if name.is_empty() || name.ends_with('!') {
                    return Destination::Other;
                }
                match self.destination(name_start, 1) {
                    found @ Destination::Call { .. } => found,
                    _ => Destination::Other,
                }
            }
            _ => Destination::Other,
        }
    }

    /// Ruby's `HTTParty.get "https://..."`, `base_uri "https://..."`: a call without parentheses.
    fn paren_less_call(&self, start: usize) -> Destination {
        if self.lang != Lang::Ruby {
            return Destination::Other;
        }
        let Some(end) = self.skip_space_back(start) else {
            return Destination::Other;
        };
        if !is_ident(self.code[end]) || !self.code[end + 1..start].contains(&b' ') {
            return Destination::Other;
        }
        let (name, name_start) = self.callee(end + 1);
        if is_client_call(self.lang, &name, false) {
            Destination::Call {
                open: start,
                name_start,
            }
        } else {
            Destination::Other
        }
    }

    /// The key the expression at `start` is written under, if any: `key=`, `key:`, `"key" =>`.
    fn key_before(&self, start: usize) -> Option<Key> {
        let end = self.skip_space_back(start)?;
        let code = self.code;
        match code[end] {
            b'=' if end > 0 && code[end - 1] == b':' => {
                // Go `base := "..."`.
                self.name_before(end - 1).map(Key::Assign)
            }
            b'=' => {
                let previous = end.checked_sub(1).map(|i| code[i]);
                if matches!(
                    previous,
                    Some(
                        b'=' | b'!'
                            | b'<'
                            | b'>'
                            | b'+'
                            | b'-'
                            | b'*'
                            | b'/'
                            | b'|'
                            | b'&'
                            | b'?'
                            | b'%'
                    )
                ) {
                    return None;
                }
                // Inside an argument list `name=` is a keyword argument; elsewhere an assignment
                // (a type annotation `X: &str =` names `X`).
                let name = self.assigned_name(end)?;
                match self.enclosing(start) {
                    Some((_, b'(')) => Some(Key::Named(name)),
                    _ => Some(Key::Assign(name)),
                }
            }
            b'>' if end > 0 && code[end - 1] == b'=' => {
                let key_end = self.skip_space_back(end - 1)?;
                self.key_at(key_end).map(Key::Named)
            }
            b':' if end > 0 && code[end - 1] != b':' && code.get(end + 1) != Some(&b':') => {
                let key_end = self.skip_space_back(end)?;
                self.key_at(key_end).map(Key::Named)
            }
            // A default after `||`, `??` or `or` (`env('X') || 'https://...'`): the name the
            // whole expression is assigned to, if the statement is an assignment on this line.
            b'|' | b'?' if end > 0 && code[end - 1] == code[end] => self.default_of(end - 1),
            b'r' if end > 1 && &code[end - 1..=end] == b"or" && !is_ident(code[end - 2]) => {
                self.default_of(end - 1)
            }
            _ => None,
        }
    }

    /// The assignment a default operator at `operator` belongs to: the nearest single `=` before
    /// it on the same line, with no `,` or `;` between (a default inside a call is not one).
    fn default_of(&self, operator: usize) -> Option<Key> {
        let floor = operator.saturating_sub(LOOK_BACK);
        let line_start = self.code[floor..operator]
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(floor, |i| floor + i + 1);
        let mut depth = 0usize;
        let mut i = operator;
        while i > line_start {
            i -= 1;
            match self.code[i] {
                b')' | b']' | b'}' => depth += 1,
                b'(' | b'[' | b'{' => depth = depth.checked_sub(1)?,
                b',' | b';' if depth == 0 => return None,
                b'=' if depth == 0 => {
                    let previous = i.checked_sub(1).map(|p| self.code[p]);
                    let next = self.code.get(i + 1).copied();
                    if matches!(previous, Some(b'=' | b'!' | b'<' | b'>'))
                        || matches!(next, Some(b'=' | b'>'))
                    {
                        return None;
                    }
                    let at = if previous == Some(b':') { i - 1 } else { i };
                    return self.assigned_name(at).map(Key::Assign);
                }
                _ => {}
            }
        }
        None
    }

    /// The name assigned to by the `=` at `eq`: the identifier before a type annotation, else
    /// the last identifier (`static final String X`, `$x`, `self.base_url` → `base_url`).
    fn assigned_name(&self, eq: usize) -> Option<String> {
        let floor = eq.saturating_sub(LOOK_BACK);
        let line_start = self.code[floor..eq]
            .iter()
            .rposition(|b| matches!(b, b'\n' | b';' | b'{' | b'(' | b','))
            .map_or(floor, |i| floor + i + 1);
        let left = &self.code[line_start..eq];
        // A single `:` (not `::`) starts a type annotation.
        let mut colon = None;
        for i in 0..left.len() {
            if left[i] == b':' && left.get(i + 1) != Some(&b':') && (i == 0 || left[i - 1] != b':')
            {
                colon = Some(i);
                break;
            }
        }
        let name_end = line_start + colon.unwrap_or(left.len());
        let end = self.skip_space_back(name_end)?;
        if end < line_start {
            return None;
        }
        self.name_before(end + 1)
    }

    /// The identifier that ends just before `end` (spaces skipped).
    fn name_before(&self, end: usize) -> Option<String> {
        let last = self.skip_space_back(end)?;
        if !is_ident(self.code[last]) {
            return None;
        }
        let start = self.word_start(last + 1);
        let name = std::str::from_utf8(&self.code[start..=last]).ok()?;
        (!name.is_empty() && !name.as_bytes()[0].is_ascii_digit()).then(|| name.to_string())
    }

    /// A key ending at `end`: an identifier, or a string literal whose closing quote is at `end`.
    fn key_at(&self, end: usize) -> Option<String> {
        let byte = self.code[end];
        if matches!(byte, b'"' | b'\'') {
            // Strings are in file order: found by binary search, not by trying each.
            let index = self.strings.partition_point(|s| s.end < end);
            let string = self.strings.get(index).filter(|s| s.end == end)?;
            return self.text.get(string.clone()).map(str::to_string);
        }
        self.name_before(end + 1)
    }

    /// The open bracket enclosing `at` (balanced groups skipped), within the statement.
    fn enclosing(&self, at: usize) -> Option<(usize, u8)> {
        let floor = at.saturating_sub(LOOK_BACK);
        let mut depth = 0usize;
        let mut i = at;
        while i > floor {
            i -= 1;
            match self.code[i] {
                b')' | b']' | b'}' => depth += 1,
                b'(' | b'[' | b'{' => {
                    if depth == 0 {
                        return Some((i, self.code[i]));
                    }
                    depth -= 1;
                }
                b';' if depth == 0 => return None,
                _ => {}
            }
        }
        None
    }

    /// The `(` matching the `)` at `close`.
    fn matching_open(&self, close: usize) -> Option<usize> {
        match self.enclosing(close) {
            Some((open, b'(')) => Some(open),
            _ => None,
        }
    }

    /// The `)` matching the `(` at `open`, or the end of the look-ahead.
    fn matching_close(&self, open: usize) -> usize {
        let ceiling = (open + LOOK_AHEAD).min(self.code.len());
        let mut depth = 0usize;
        for i in open..ceiling {
            match self.code[i] {
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        ceiling
    }

    /// The name of the call whose `(` is at `open`: the chain of names, `.`, `::`, `->`, `\`
    /// and `(...)` groups just before it, with its start. `Request.Builder().url` is
    /// `Request.Builder.url`; `format!` is `format!`.
    fn callee(&self, open: usize) -> (String, usize) {
        let code = self.code;
        let floor = open.saturating_sub(512);
        let mut segments: Vec<&[u8]> = Vec::new();
        let mut i = open;
        // Rust's turbofish and generic calls are rare in client code: stop at them.
        if i > 0 && code[i - 1] == b'!' {
            i -= 1;
        }
        loop {
            let end = i;
            while i > floor && is_ident(code[i - 1]) {
                i -= 1;
            }
            if i == end {
                break;
            }
            segments.push(&code[i..end]);
            // A separator, possibly with a `(...)` group before it.
            let mut j = i;
            while j > floor && code[j - 1] == b' ' {
                j -= 1;
            }
            let separator = if j >= 2 && (&code[j - 2..j] == b"::" || &code[j - 2..j] == b"->") {
                2
            } else if j >= 1 && matches!(code[j - 1], b'.' | b'\\') {
                1
            } else {
                0
            };
            if separator == 0 {
                break;
            }
            j -= separator;
            while j > floor && matches!(code[j - 1], b' ' | b'\n' | b'\t' | b'\r' | b'?') {
                j -= 1;
            }
            if j > floor && code[j - 1] == b')' {
                match self.matching_open(j - 1) {
                    Some(inner) => j = inner,
                    None => break,
                }
            }
            i = j;
            if segments.len() >= 8 {
                break;
            }
        }
        segments.reverse();
        let mut name = segments
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect::<Vec<_>>()
            .join(".");
        if open > 0 && code[open - 1] == b'!' && !name.is_empty() {
            name.push('!');
        }
        (name, i)
    }

    /// Whether `new ` is written just before the name starting at `name_start`.
    fn is_new(&self, name_start: usize) -> bool {
        self.new_start(name_start) != name_start
    }

    fn new_start(&self, name_start: usize) -> usize {
        let mut j = name_start;
        while j > 0 && self.code[j - 1] == b' ' {
            j -= 1;
        }
        if j >= 3 && &self.code[j - 3..j] == b"new" && (j == 3 || !is_ident(self.code[j - 4])) {
            j - 3
        } else {
            name_start
        }
    }

    /// The start of the identifier (with `.`-less characters only) that ends at `end`.
    fn word_start(&self, end: usize) -> usize {
        let mut i = end;
        while i > 0 && end - i < 256 && is_ident(self.code[i - 1]) {
            i -= 1;
        }
        i
    }

    /// The last non-space byte before `at`.
    fn skip_space_back(&self, at: usize) -> Option<usize> {
        let floor = at.saturating_sub(LOOK_BACK);
        let mut i = at;
        while i > floor {
            i -= 1;
            if !self.code[i].is_ascii_whitespace() {
                return Some(i);
            }
        }
        None
    }

    /// The found host of a call, with the categories its argument list shows.
    fn call_host(
        &self,
        host: (String, Range<usize>),
        name_start: usize,
        expression: usize,
        open: usize,
    ) -> CallHost {
        let close = if self.code.get(open) == Some(&b'(') {
            self.matching_close(open)
        } else {
            open
        };
        CallHost {
            host: host.0,
            host_range: host.1,
            call_range: name_start..expression.max(name_start),
            data: self.categories(open, close),
        }
    }

    /// Categories named by keys inside `open..close`.
    fn categories(&self, open: usize, close: usize) -> Vec<(String, Range<usize>)> {
        let mut found: Vec<(String, Range<usize>)> = Vec::new();
        let mut seen = BTreeSet::new();
        let mut push = |name: &str, range: Range<usize>| {
            if let Some(category) = self.rules.category_for_field(&snake_case(name))
                && seen.insert(category)
            {
                found.push((category.to_string(), range));
            }
        };
        // String keys: `"email":`, `'email' =>`.
        let first = self.strings.partition_point(|s| s.start <= open);
        let inside = self.strings[first..].iter().take_while(|s| s.end < close);
        for string in inside {
            let after = self.skip_space_forward(string.end + 1, close);
            let is_key = match after {
                Some(i) => {
                    (self.code[i] == b':' && self.code.get(i + 1) != Some(&b':'))
                        || (self.code[i] == b'=' && self.code.get(i + 1) == Some(&b'>'))
                }
                None => false,
            };
            if is_key && let Some(name) = self.text.get(string.clone()) {
                push(name, string.clone());
            }
        }
        // Identifier keys: `email=`, `email:`, and shorthand `{ email, phone }`.
        let mut i = open + 1;
        while i < close {
            if !is_ident(self.code[i]) || (i > 0 && is_ident(self.code[i - 1])) {
                i += 1;
                continue;
            }
            let start = i;
            while i < close && is_ident(self.code[i]) {
                i += 1;
            }
            let before = self.skip_space_back(start).map(|b| self.code[b]);
            let after = self.skip_space_forward(i, close).map(|a| (a, self.code[a]));
            let keyword = match after {
                Some((a, b':')) => self.code.get(a + 1) != Some(&b':'),
                Some((a, b'=')) => !matches!(self.code.get(a + 1), Some(b'=' | b'>')),
                Some((_, b',' | b'}')) => matches!(before, Some(b'{' | b',')),
                _ => false,
            };
            if keyword && let Ok(name) = std::str::from_utf8(&self.code[start..i]) {
                push(name, start..i);
            }
        }
        found
    }

    fn skip_space_forward(&self, from: usize, limit: usize) -> Option<usize> {
        (from..limit.min(self.code.len())).find(|&i| !self.code[i].is_ascii_whitespace())
    }
}

/// What an expression is written under.
#[derive(Debug, PartialEq, Eq)]
enum Key {
    /// A keyword argument or an object/dict key.
    Named(String),
    /// An assignment target.
    Assign(String),
}

/// The text with comments and the contents of strings replaced by spaces (line breaks kept).
fn masked(text: &str, file: &SourceFile) -> Vec<u8> {
    let mut code = text.as_bytes().to_vec();
    for piece in file.pieces() {
        let mut range = piece.range.clone();
        // A comment's delimiters (`//`, `#`, `/*`, `*/`, `<!--`) go too, so that a comment
        // between the parts of a chained call does not break the chain.
        if piece.kind == PieceKind::Comment {
            let mut extra = 0;
            while range.start > 0
                && extra < 4
                && matches!(
                    code[range.start - 1],
                    b'/' | b'#' | b'*' | b'-' | b'!' | b'<'
                )
            {
                range.start -= 1;
                extra += 1;
            }
            extra = 0;
            while range.end < code.len()
                && extra < 3
                && matches!(code[range.end], b'/' | b'*' | b'-' | b'>')
            {
                range.end += 1;
                extra += 1;
            }
        }
        for byte in code.get_mut(range).into_iter().flatten() {
            if *byte != b'\n' {
                *byte = b' ';
            }
        }
    }
    code
}

fn is_ident(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$'
}

/// Whether two offsets are on one line; offsets further apart than [`LOOK_BACK`] count as on
/// different lines, so that a file of one huge line is not searched again for every use.
fn same_line(text: &str, a: usize, b: usize) -> bool {
    let (low, high) = (a.min(b), a.max(b).min(text.len()));
    high - low <= LOOK_BACK && memchr::memchr(b'\n', &text.as_bytes()[low..high]).is_none()
}

/// The bound name a template starts with: `{BASE}`, `${BASE}`, `#{BASE}`, `{$base}`, `$base`,
/// `{self.base_url}` (the last segment names it).
fn template_head(body: &str) -> Option<&str> {
    let rest = body
        .strip_prefix("${")
        .or_else(|| body.strip_prefix("#{"))
        .or_else(|| body.strip_prefix("{$"))
        .or_else(|| body.strip_prefix('{'))
        .or_else(|| body.strip_prefix('$'))?;
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '@'))
        .unwrap_or(rest.len());
    let chain = &rest[..end];
    let name = chain
        .rsplit('.')
        .next()
        .unwrap_or(chain)
        .trim_start_matches('@');
    (!name.is_empty()).then_some(name)
}

/// `firstName` → `first_name`, so that camelCase keys map like snake_case fields.
fn snake_case(name: &str) -> String {
    let name = name.trim_start_matches('$');
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// True when a key names an address (`url`, `baseURL`, `base_uri`, `BaseAddress`, `endpoint`).
fn names_address(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["url", "uri", "endpoint", "address", "host", "server"]
        .iter()
        .any(|word| key.contains(word))
}

/// Methods that send or configure a request on a client-like receiver.
const VERBS: [&str; 17] = [
    "get", "post", "put", "patch", "delete", "head", "options", "request", "fetch", "send",
    "stream", "create", "new", "extend", "target", "do", "exchange",
];

/// Words that make a receiver a client: `client`, `session`, `http`, `requests`, `axios`...
const CLIENT_WORDS: [&str; 20] = [
    "client", "session", "http", "request", "axios", "agent", "api", "rest", "conn", "faraday",
    "reqwest", "ureq", "surf", "isahc", "urllib", "typhoeus", "excon", "resty", "fetcher", "hyper",
];

/// Call names (the last segment) that send or configure a request whatever the receiver.
fn specific(lang: Lang, last: &str, new: bool) -> bool {
    let any = matches!(
        last,
        "fetch"
            | "axios"
            | "got"
            | "ky"
            | "superagent"
            | "needle"
            | "ofetch"
            | "urlopen"
            | "curl_init"
            | "curl_setopt"
            | "file_get_contents"
            | "wp_remote_get"
            | "wp_remote_post"
            | "wp_remote_request"
            | "baseUrl"
            | "baseURL"
            | "base_url"
            | "BaseUrl"
            | "setBaseUrl"
            | "SetBaseURL"
            | "SetHostURL"
            | "SetBaseUrl"
            | "prefixUrl"
            | "base_uri"
            | "HTTPSConnection"
            | "HTTPConnection"
            | "NewRequest"
            | "NewRequestWithContext"
            | "PostForm"
            | "newBuilder"
            | "getForObject"
            | "getForEntity"
            | "postForObject"
            | "postForEntity"
            | "postForLocation"
            | "patchForObject"
            | "GetAsync"
            | "PostAsync"
            | "PutAsync"
            | "PatchAsync"
            | "DeleteAsync"
            | "SendAsync"
            | "GetStringAsync"
            | "GetByteArrayAsync"
            | "GetStreamAsync"
            | "GetFromJsonAsync"
            | "PostAsJsonAsync"
            | "PutAsJsonAsync"
            | "HttpRequestMessage"
            | "RestClient"
            | "HttpGet"
            | "HttpPost"
            | "HttpPut"
            | "HttpDelete"
            | "ClientSession"
            | "AsyncClient"
    );
    any || match lang {
        // OkHttp's `Request.Builder().url(..)`, hyper's `Request::builder().uri(..)` and
        // Java's `HttpRequest.newBuilder().uri(..)`: the request's address.
        Lang::Java | Lang::Rust | Lang::Go => matches!(last, "url" | "uri"),
        _ => false,
    } || (lang == Lang::Java && new && last == "URL")
        || (lang == Lang::Php && new && last == "Client")
        || (lang == Lang::Ruby && matches!(last, "post_form" | "get_response" | "get_print"))
        || (lang == Lang::Python && matches!(last, "Client") && !new)
}

/// True when `name` (a dotted chain, `!` for Rust macros) is a client call in `lang`.
pub(crate) fn is_client_call(lang: Lang, name: &str, new: bool) -> bool {
    let segments: Vec<&str> = name.trim_end_matches('!').split('.').collect();
    let Some((last, receivers)) = segments.split_last() else {
        return false;
    };
    if specific(lang, last, new) || names_an_http_request(last) {
        return true;
    }
    let verb = last.to_ascii_lowercase();
    let verb = verb.trim_end_matches("async");
    if !VERBS.contains(&verb) {
        return false;
    }
    // A bare verb (`get(...)`) says nothing; `request(...)` is the `request` module in Node.
    // `Client::new().post`, `Client.builder().build().get`: the constructor names no client;
    // the type before it does.
    let receiver = receivers.iter().rev().find(|r| {
        !matches!(
            r.to_ascii_lowercase().as_str(),
            "new" | "builder" | "build" | "default" | "create" | "init" | "instance" | "shared"
        )
    });
    let Some(receiver) = receiver else {
        return lang == Lang::JavaScript && verb == "request" && receivers.is_empty();
    };
    let receiver = receiver
        .trim_start_matches(['_', '$', '@'])
        .to_ascii_lowercase();
    CLIENT_WORDS.iter().any(|word| receiver.contains(word))
        || matches!(
            receiver.as_str(),
            "r" | "got" | "ky" | "net" | "superagent" | "needle"
        )
}

/// True for a project's own request helper whose name says so: `make_http_request`,
/// `httpGet`, `sendHttpRequest`, `do_http_call` (the word `http` with a request verb). Real
/// services wrap their client in such a function and pass it the URL literal.
fn names_an_http_request(name: &str) -> bool {
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    for c in name.trim_end_matches('!').chars() {
        if (c == '_' || c.is_ascii_uppercase()) && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c != '_' {
            current.push(c.to_ascii_lowercase());
        }
    }
    words.push(current);
    words.iter().any(|w| w == "http")
        && words.iter().any(|w| {
            matches!(
                w.as_str(),
                "request" | "req" | "get" | "post" | "put" | "patch" | "send" | "fetch" | "call"
            )
        })
}

/// True for calls that build a URL from their arguments and pass it on: the expression they
/// make goes where the URL would.
fn is_wrapper(lang: Lang, name: &str, new: bool) -> bool {
    let segments: Vec<&str> = name.split('.').collect();
    let Some(last) = segments.last() else {
        return false;
    };
    let receiver = segments.len().checked_sub(2).and_then(|i| segments.get(i));
    match *last {
        "format!" | "Sprintf" | "sprintf" | "urljoin" | "JoinPath" | "URI" | "Uri" => true,
        // The default of an environment lookup (`os.getenv("API_URL", "https://...")`,
        // `os.environ.get(..)`, `ENV.fetch(..)`, `process.env.X ?? ..` is an operator): the
        // value goes where the lookup goes.
        "getenv" | "Getenv" | "LookupEnv" => true,
        "get" | "fetch" => {
            receiver.is_some_and(|r| matches!(*r, "environ" | "ENV" | "env" | "Environment"))
        }
        "env" => lang == Lang::JavaScript || lang == Lang::Php,
        "URL" => lang != Lang::Java || !new,
        "create" | "parse" | "join" | "Parse" | "from_static" | "format" | "Format" => receiver
            .is_some_and(|r| {
                matches!(
                    *r,
                    "URI"
                        | "Uri"
                        | "Url"
                        | "url"
                        | "URL"
                        | "String"
                        | "string"
                        | "HttpUrl"
                        | "fmt"
                        | "parse"
                        | "Addressable"
                )
            }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::owners::testing::files;

    /// The built-in rule data, loaded once for every test here.
    static RULES: std::sync::LazyLock<RuleSet> =
        std::sync::LazyLock::new(crate::extract::owners::testing::rules);

    /// (host, line of the call, categories) of every call found in `text` written as `path`.
    fn calls(path: &str, text: &str) -> Vec<(String, u32, Vec<String>)> {
        let sources = files(&[(path, text)]);
        let file = &sources[0];
        let lang = lang_for(path).unwrap_or(Lang::Python);
        outbound_calls(file, lang, &RULES)
            .into_iter()
            .map(|call| {
                let line = file
                    .line_column(u32::try_from(call.call_range.start).unwrap_or(0))
                    .line;
                (
                    call.host,
                    line,
                    call.data.into_iter().map(|(c, _)| c).collect(),
                )
            })
            .collect()
    }

    fn hosts(path: &str, text: &str) -> Vec<String> {
        calls(path, text).into_iter().map(|c| c.0).collect()
    }

    #[test]
    fn request_helpers_named_for_http_are_clients() {
        assert_eq!(
            hosts(
                "src/api/admin.rs",
                "async fn check() {\n    let req = make_http_request(Method::HEAD, \"https://api.pwnedpasswords.com/range/ab\");\n}\n",
            ),
            ["api.pwnedpasswords.com"]
        );
        assert!(names_an_http_request("sendHttpRequest"));
        assert!(names_an_http_request("http_get"));
        assert!(!names_an_http_request("http_status"));
        assert!(!names_an_http_request("request_id"));
    }

    #[test]
    fn python_clients_constants_and_categories() {
        let found = calls(
            "svc/notify.py",
            "import requests, httpx\nAPI_URL = \"https://api.razorpay.com/v1\"\n\
             def send(user):\n    requests.post(f\"{API_URL}/orders\", json={\"email\": user.email, \"amount\": 3})\n\
             def other():\n    with httpx.Client(base_url=\"https://api.mailgun.net\") as c:\n        pass\n\
             # requests.get(\"https://api.mixpanel.com/track\")\n\
             logger.info(\"posting to https://api.intercom.io/users\")\n\
             raise ValueError(\"see https://api.postmarkapp.com/\")\n\
             requests.post(API_URL, data=\"https://link.example.org\", headers={\"Referer\": \"https://api.paytm.com/x\"})\n",
        );
        assert_eq!(
            found,
            [
                (
                    "api.razorpay.com".to_string(),
                    4,
                    vec!["user.contact.email".to_string()]
                ),
                ("api.mailgun.net".to_string(), 6, vec![]),
                ("api.razorpay.com".to_string(), 11, vec![]),
            ]
        );
    }

    #[test]
    fn javascript_clients() {
        let found = hosts(
            "web/src/analytics.ts",
            "const BASE = 'https://api.mixpanel.com';\nconst api = axios.create({ baseURL: 'https://api.razorpay.com/v1' });\n\
             await fetch(`${BASE}/track`, { method: 'POST', body: JSON.stringify({ email, phone }) });\n\
             console.log('https://api.sendgrid.com/v3');\nconst body = { link: 'https://api.paytm.com' };\n\
             got.post('https://api.postmarkapp.com/email');\nhttps.request('https://api.onesignal.com/notifications');\n",
        );
        assert_eq!(
            found,
            [
                "api.razorpay.com",
                "api.mixpanel.com",
                "api.postmarkapp.com",
                "api.onesignal.com"
            ]
        );
        let data = calls(
            "web/a.js",
            "await fetch('https://api.mixpanel.com/track', { method: 'POST', body: JSON.stringify({ email, phone }) });\n",
        );
        assert_eq!(
            data[0].2,
            ["user.contact.email", "user.contact.phone_number"]
        );
    }

    #[test]
    fn go_java_ruby_csharp_php_rust_clients() {
        assert_eq!(
            hosts(
                "svc/main.go",
                "const baseURL = \"https://api.razorpay.com\"\nfunc f() {\n\treq, _ := http.NewRequest(\"POST\", fmt.Sprintf(\"%s/v1/orders\", baseURL), nil)\n\tfmt.Printf(\"https://api.mixpanel.com\\n\")\n\tresty.New().SetBaseURL(\"https://api.mailgun.net\")\n}\n",
            ),
            ["api.razorpay.com", "api.mailgun.net"]
        );
        assert_eq!(
            hosts(
                "src/main/java/shop/Client.java",
                "class C {\n  static final String BASE = \"https://api.razorpay.com\";\n  HttpRequest r = HttpRequest.newBuilder(URI.create(BASE + \"/v1\")).build();\n  Request q = new Request.Builder().url(\"https://api.mailgun.net/v3\").build();\n  void f() { log.info(\"https://api.paytm.com\"); }\n}\n",
            ),
            ["api.razorpay.com", "api.mailgun.net"]
        );
        assert_eq!(
            hosts(
                "app/client.rb",
                "BASE = \"https://api.razorpay.com\"\nuri = URI(\"#{BASE}/v1\")\nNet::HTTP.post_form(uri, \"email\" => e)\nconn = Faraday.new(url: \"https://api.mailgun.net\")\nputs \"https://api.paytm.com\"\nHTTParty.get \"https://api.postmarkapp.com/x\"\n",
            ),
            ["api.razorpay.com", "api.mailgun.net", "api.postmarkapp.com"]
        );
        assert_eq!(
            hosts(
                "Svc/Client.cs",
                "var c = new HttpClient { BaseAddress = new Uri(\"https://api.razorpay.com/\") };\nawait c.PostAsync(\"https://api.mailgun.net/v3\", body);\n_logger.LogInformation(\"https://api.paytm.com\");\nvar r = new RestClient(\"https://api.postmarkapp.com\");\n",
            ),
            ["api.razorpay.com", "api.mailgun.net", "api.postmarkapp.com"]
        );
        assert_eq!(
            hosts(
                "src/Mail.php",
                "<?php\n$client = new Client(['base_uri' => 'https://api.razorpay.com/v1/']);\n$ch = curl_init('https://api.mailgun.net/v3');\n$client->request('POST', 'https://api.postmarkapp.com/email', ['json' => ['email' => $e]]);\necho 'https://api.paytm.com';\n",
            ),
            ["api.razorpay.com", "api.mailgun.net", "api.postmarkapp.com"]
        );
        assert_eq!(
            hosts(
                "src/lib.rs",
                "const BASE: &str = \"https://api.razorpay.com\";\nasync fn f(client: &reqwest::Client) {\n    client.post(format!(\"{BASE}/v1\")).send().await;\n    let body = json!({\"link\": \"https://github.com/dani-garcia/vaultwarden\"});\n    log::info!(\"https://api.paytm.com\");\n    ureq::get(\"https://api.mailgun.net/v3\").call();\n}\n",
            ),
            ["api.razorpay.com", "api.mailgun.net"]
        );
    }

    #[test]
    fn every_client_of_the_table() {
        let cases: &[(&str, &str)] = &[
            ("a.py", "requests.get('https://api.razorpay.com/v1')"),
            (
                "a.py",
                "r = httpx.post('https://api.razorpay.com/v1', json=body)",
            ),
            (
                "a.py",
                "async with session.post('https://api.razorpay.com/v1') as r: pass",
            ),
            (
                "a.py",
                "urllib.request.urlopen('https://api.razorpay.com/v1')",
            ),
            (
                "a.py",
                "urllib3.request('GET', 'https://api.razorpay.com/v1')",
            ),
            (
                "a.py",
                "http = urllib3.PoolManager()\nhttp.request('GET', 'https://api.razorpay.com/v1')",
            ),
            (
                "a.js",
                "const res = await axios.post('https://api.razorpay.com/v1', data)",
            ),
            (
                "a.js",
                "axios({ url: 'https://api.razorpay.com/v1', method: 'post' })",
            ),
            (
                "a.js",
                "await got.post('https://api.razorpay.com/v1', { json })",
            ),
            (
                "a.js",
                "await ky.post('https://api.razorpay.com/v1', { json })",
            ),
            (
                "a.js",
                "superagent.post('https://api.razorpay.com/v1').send(body)",
            ),
            (
                "a.js",
                "const fetch = require('node-fetch');\nfetch('https://api.razorpay.com/v1')",
            ),
            (
                "a.js",
                "const req = https.request('https://api.razorpay.com/v1', opts)",
            ),
            (
                "a.go",
                "resp, err := http.Get(\"https://api.razorpay.com/v1\")",
            ),
            (
                "a.go",
                "resp, err := http.Post(\"https://api.razorpay.com/v1\", \"application/json\", b)",
            ),
            (
                "a.go",
                "req, _ := http.NewRequestWithContext(ctx, http.MethodPost, \"https://api.razorpay.com/v1\", b)",
            ),
            (
                "a.go",
                "client := resty.New().SetBaseURL(\"https://api.razorpay.com\")",
            ),
            (
                "a.java",
                "HttpRequest r = HttpRequest.newBuilder().uri(URI.create(\"https://api.razorpay.com/v1\")).build();",
            ),
            (
                "a.java",
                "URL u = new URL(\"https://api.razorpay.com/v1\");",
            ),
            (
                "a.java",
                "restTemplate.postForObject(\"https://api.razorpay.com/v1\", body, String.class);",
            ),
            (
                "a.java",
                "WebClient c = WebClient.create(\"https://api.razorpay.com\");",
            ),
            (
                "a.java",
                "WebClient c = WebClient.builder().baseUrl(\"https://api.razorpay.com\").build();",
            ),
            (
                "a.java",
                "Retrofit r = new Retrofit.Builder().baseUrl(\"https://api.razorpay.com/\").build();",
            ),
            (
                "a.kt",
                "val r = client.get(\"https://api.razorpay.com/v1\")",
            ),
            (
                "a.rb",
                "res = Net::HTTP.get(URI('https://api.razorpay.com/v1'))",
            ),
            (
                "a.rb",
                "HTTParty.post('https://api.razorpay.com/v1', body: b)",
            ),
            (
                "a.rb",
                "RestClient.post 'https://api.razorpay.com/v1', payload",
            ),
            (
                "a.rb",
                "class Api\n  include HTTParty\n  base_uri 'https://api.razorpay.com'\nend",
            ),
            (
                "a.cs",
                "var r = await client.GetAsync(\"https://api.razorpay.com/v1\");",
            ),
            (
                "a.cs",
                "client.BaseAddress = new Uri(\"https://api.razorpay.com/\");",
            ),
            (
                "a.cs",
                "var c = new RestClient(\"https://api.razorpay.com\");",
            ),
            (
                "a.php",
                "<?php $ch = curl_init();\ncurl_setopt($ch, CURLOPT_URL, 'https://api.razorpay.com/v1');",
            ),
            (
                "a.php",
                "<?php $r = file_get_contents('https://api.razorpay.com/v1');",
            ),
            (
                "a.php",
                "<?php $r = $client->post('https://api.razorpay.com/v1', ['json' => $b]);",
            ),
            (
                "a.php",
                "<?php $r = Http::post('https://api.razorpay.com/v1', $b);",
            ),
            (
                "a.rs",
                "let r = reqwest::get(\"https://api.razorpay.com/v1\").await?;",
            ),
            (
                "a.rs",
                "let r = reqwest::Client::new().post(\"https://api.razorpay.com/v1\").send();",
            ),
            (
                "a.rs",
                "let r = ureq::post(\"https://api.razorpay.com/v1\").call();",
            ),
            (
                "a.rs",
                "let r = surf::get(\"https://api.razorpay.com/v1\").await;",
            ),
            (
                "a.rs",
                "let req = Request::builder().uri(\"https://api.razorpay.com/v1\").body(b);",
            ),
        ];
        for (path, text) in cases {
            assert_eq!(hosts(path, text), ["api.razorpay.com"], "{path}: {text}");
        }
    }

    #[test]
    fn defaults_of_environment_lookups_bind_their_name() {
        assert_eq!(
            hosts(
                "svc/client.py",
                "API = os.getenv(\"API_URL\", \"https://api.razorpay.com\")\nMAIL = os.environ.get(\"MAIL\") or \"https://api.mailgun.net\"\nrequests.post(API)\nrequests.post(MAIL)\n",
            ),
            ["api.razorpay.com", "api.mailgun.net"]
        );
        assert_eq!(
            hosts(
                "web/license.ts",
                "const LICENSE = env('LICENSE_URL') || 'https://api.razorpay.com';\nconst X = a ?? 'https://api.mailgun.net';\nawait fetch(LICENSE);\nawait fetch(X);\nfoo(a || 'https://api.paytm.com');\n",
            ),
            ["api.razorpay.com", "api.mailgun.net"]
        );
        assert_eq!(
            hosts(
                "app/synth.rb",
                "BASE = ENV.fetch('SYNTH_URL', 'https://api.razorpay.com')\nHTTParty.get(BASE)\n",
            ),
            ["api.razorpay.com"]
        );
    }

    #[test]
    fn tables_docs_and_local_hosts_are_quiet() {
        assert!(
            hosts(
                "svc/regions.py",
                "HOSTS = {\"us\": \"https://api.mixpanel.com\", \"eu\": \"https://api-eu.mixpanel.com\"}\nrequests.get(\"https://docs.mixpanel.com/x\")\nrequests.get(\"http://localhost:8080/x\")\nrequests.get(\"http://10.0.0.1/x\")\nrequests.get(\"https://{host}/x\")\n",
            )
            .is_empty()
        );
    }

    #[test]
    fn a_region_table_is_a_flow_only_where_the_code_names_the_region() {
        let table = "impl Region {\n    const fn endpoint(self) -> &'static str {\n        match self {\n            Region::Eu => \"https://europe-malachiteingestion-pa.googleapis.com\",\n            Region::Us => \"https://malachiteingestion-pa.googleapis.com\",\n            Region::Asia => {\n                \"https://asia-southeast1-malachiteingestion-pa.googleapis.com\"\n            }\n        }\n    }\n}\nfn endpoint_of(region: Region) -> &'static str { region.endpoint() }\n";
        // The region comes from configuration: a table of options, no flow.
        let configured = format!(
            "{table}async fn ship(client: &reqwest::Client, config: &Config) {{ client.post(config.region.endpoint()).send().await; }}\n"
        );
        assert!(hosts("sink/src/lib.rs", &configured).is_empty());
        // Named in the code: that arm is the flow, through a method, a function and `format!`.
        let named = format!(
            "{table}async fn a(client: &reqwest::Client) {{\n    client.post(Region::Asia.endpoint()).send().await;\n    client.post(format!(\"{{}}/v2\", endpoint_of(Region::Us))).send().await;\n    let unused = Region::Eu;\n}}\n"
        );
        assert_eq!(
            hosts("sink/src/lib.rs", &named),
            [
                "asia-southeast1-malachiteingestion-pa.googleapis.com",
                "malachiteingestion-pa.googleapis.com"
            ]
        );
        // Two arms are not a table: a `match` of two URLs stays as it was (quiet).
        let pair = "fn e(s: Site) -> &'static str { match s { Site::Eu => \"https://api.eu.amplitude.com\", Site::Us => \"https://api2.amplitude.com\" } }\nasync fn a(client: &reqwest::Client) { client.post(Site::Eu.e()).send().await; }\n";
        assert!(hosts("amp/src/lib.rs", pair).is_empty());
    }

    /// The names of the tables chosen at run time in one file.
    fn choices(path: &str, text: &str) -> Vec<String> {
        let sources = files(&[(path, text)]);
        let lang = lang_for(path).unwrap_or(Lang::Rust);
        outbound(&sources[0], lang, &RULES)
            .1
            .into_iter()
            .map(|choice| format!("{} {}", choice.name, choice.hosts.len()))
            .collect()
    }

    #[test]
    fn a_table_chosen_at_run_time_is_one_choice_only_where_the_file_sends() {
        let table = "impl Region {\n    const fn endpoint(self) -> &'static str {\n        match self {\n            Region::Eu => \"https://europe-malachiteingestion-pa.googleapis.com\",\n            Region::Us => \"https://malachiteingestion-pa.googleapis.com\",\n            Region::Asia => \"https://asia-southeast1-malachiteingestion-pa.googleapis.com\",\n            Region::Sg => \"https://asia-southeast1-malachiteingestion-pa.googleapis.com\",\n        }\n    }\n}\n";
        // Chosen from configuration, in a file that sends: one choice among three hosts.
        let sent = format!(
            "{table}fn base(c: &Config) -> String {{ c.region.endpoint().to_string() }}\nasync fn send(client: HttpClient, r: Request) {{ client.send(r).await; }}\n"
        );
        assert_eq!(choices("sink/src/lib.rs", &sent), ["Region::endpoint 3"]);
        // Named at every call: no run-time choice.
        let named = format!(
            "{table}async fn a(client: &reqwest::Client) {{ client.post(Region::Asia.endpoint()).send().await; }}\n"
        );
        assert!(choices("sink/src/lib.rs", &named).is_empty());
        // A file that sends nothing, and a table never called, are quiet.
        let silent =
            format!("{table}fn base(c: &Config) -> String {{ c.region.endpoint().to_string() }}\n");
        assert!(choices("sink/src/lib.rs", &silent).is_empty());
        let uncalled = format!(
            "{table}async fn send(client: HttpClient, r: Request) {{ client.send(r).await; }}\n"
        );
        assert!(choices("sink/src/lib.rs", &uncalled).is_empty());
    }

    #[test]
    fn a_map_entry_selected_by_a_literal_key_is_that_entry_only() {
        let map = "HOSTS = {\n    \"us\": \"https://api.mixpanel.com\",\n    \"eu\": \"https://api-eu.mixpanel.com\",\n    \"in\": \"https://api-in.mixpanel.com\",\n}\n";
        // Directly at the call, and through a name bound to the entry.
        assert_eq!(
            hosts(
                "app/track.py",
                &format!(
                    "{map}def a(e):\n    requests.post(HOSTS[\"in\"], json=e)\n    host = HOSTS['eu']\n    requests.post(host + \"/track\", json=e)\n"
                )
            ),
            ["api-in.mixpanel.com", "api-eu.mixpanel.com"]
        );
        // A key chosen at run time, an unknown key and a table of two are no flow.
        assert!(
            hosts(
                "app/track.py",
                &format!("{map}def a(e, r):\n    requests.post(HOSTS[r], json=e)\n    requests.post(HOSTS[\"ap\"], json=e)\n")
            )
            .is_empty()
        );
        let pair = "const URLS = { us: \"https://api2.amplitude.com\", eu: \"https://api.eu.amplitude.com\" };\nfetch(URLS.eu);\n";
        assert!(hosts("web/src/a.ts", pair).is_empty());
    }

    #[test]
    fn a_huge_one_line_file_is_bounded() {
        let call = "requests.get(\"https://api.razorpay.com/v1\", json={\"email\": e}); ";
        let text = format!(
            "BASE = \"https://api.mailgun.net\"; {}",
            call.repeat(20_000)
        ) + &"requests.post(BASE); ".repeat(20_000);
        let sources = files(&[("svc/dump.py", &text)]);
        let found = outbound_calls(&sources[0], Lang::Python, &RULES);
        assert!(
            found.len() <= MAX_URL_LITERALS + MAX_USES,
            "{}",
            found.len()
        );
        assert!(found.iter().any(|call| call.host == "api.razorpay.com"));
        assert!(found.iter().any(|call| call.host == "api.mailgun.net"));
    }

    #[test]
    fn hostile_text_never_panics() {
        for text in [
            "(((((((\"https://api.razorpay.com\"",
            "\"https://api.razorpay.com\" = = := => ::",
            "x = \"https://\"\nrequests.get(x)",
            "requests.get(\"https://[::1]:80/\")",
            "a.b.c.d.e.f.g.h.i.j.k(\"https://api.razorpay.com\")",
            ")))\"https://api.razorpay.com\"",
            "é(\"https://api.razorpay.com\")",
        ] {
            for path in [
                "a.py", "a.js", "a.go", "a.rb", "a.php", "a.cs", "a.rs", "a.java",
            ] {
                let _ = calls(path, text);
            }
        }
    }
}
