//! Layers point one way (CONVENTIONS habit 15), checked rather than remembered. Reads the
//! product's `src/` as text: every `use crate::…`/`super::…`/`self::…` (nested braces, several
//! lines) and every inline `crate::a::b` path is an edge to the deepest module file it names.
//! `mod x;` declarations are not edges; test code (`#[cfg(test)] mod x;` files and inline
//! `#[cfg(test)] mod x { … }` blocks) is left out. Then:
//! - no file-level import cycle;
//! - the bottom layer (clock, crypto, settings, ids, error, private_files) imports only itself;
//! - nothing imports `startup`, and only `startup` imports `routes`;
//! - `connect` (proving a request comes from Jira) imports nothing of pages, tokens,
//!   datasources, feed or jira.
//!
//! A failure names the files and the import that breaks the rule.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module path below the crate root: `src/feed/odata/mod.rs` is `["feed", "odata"]`.
type Module = Vec<String>;

const BOTTOM: &[&str] = &[
    "clock",
    "crypto",
    "settings",
    "ids",
    "error",
    "private_files",
];
const CONNECT_MUST_NOT_IMPORT: &[&str] = &["pages", "tokens", "datasources", "feed", "jira"];

struct Crate {
    /// Module → its file, relative to `src/`.
    files: BTreeMap<Module, String>,
    /// Module → the modules it imports (never itself, never the crate root).
    imports: BTreeMap<Module, BTreeSet<Module>>,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn read_crate() -> Crate {
    let src = src_dir();
    let mut paths = Vec::new();
    collect_rs(&src, &src, &mut paths);
    let mut texts = BTreeMap::new();
    let mut test_modules = BTreeSet::new();
    for rel in paths {
        if rel == "main.rs" {
            continue;
        }
        let module = module_of(&rel);
        let raw = std::fs::read_to_string(src.join(&rel)).expect("a readable source file");
        let text = strip_comments_and_strings(&raw);
        for name in cfg_test_declarations(&text) {
            let mut child = module.clone();
            child.push(name);
            test_modules.insert(child);
        }
        texts.insert(module, (rel, cut_cfg_test_blocks(&text)));
    }
    let is_test = |m: &Module| (1..=m.len()).any(|k| test_modules.contains(&m[..k]));
    texts.retain(|m, _| !is_test(m));
    let files: BTreeMap<Module, String> = texts
        .iter()
        .map(|(m, (rel, _))| (m.clone(), rel.clone()))
        .collect();
    let mut imports = BTreeMap::new();
    for (module, (_, text)) in &texts {
        let mut targets = BTreeSet::new();
        for path in paths_in(text) {
            if let Some(target) = resolve(&files, module, &path)
                && &target != module
                && !target.is_empty()
            {
                targets.insert(target);
            }
        }
        imports.insert(module.clone(), targets);
    }
    Crate { files, imports }
}

fn collect_rs(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("a directory entry").path();
        let rel = path
            .strip_prefix(root)
            .expect("below src")
            .to_string_lossy()
            .replace('\\', "/");
        if path.is_dir() {
            collect_rs(root, &path, out);
        } else if rel.ends_with(".rs") {
            out.push(rel);
        }
    }
}

fn module_of(rel: &str) -> Module {
    let mut parts: Module = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// Comments and string literals removed (a `"crate::x"` in a string is not an import).
fn strip_comments_and_strings(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                out.push_str("\"\"");
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// After `#[cfg(test)]` (white space between), the name of a `mod x;` or `mod x {`, and where
/// the declaration ends (just past `;` or `{`).
fn cfg_test_modules(text: &str) -> Vec<(usize, String, usize, char)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(at) = text[from..].find("#[cfg(test)]") {
        let start = from + at;
        let mut rest = text[start + "#[cfg(test)]".len()..].trim_start();
        for prefix in ["pub(crate) ", "pub(super) ", "pub "] {
            rest = rest.strip_prefix(prefix).unwrap_or(rest);
        }
        if let Some(after_mod) = rest.strip_prefix("mod ") {
            let name: String = after_mod
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let tail = after_mod[name.len()..].trim_start();
            if let Some(end_char @ (';' | '{')) = tail.chars().next() {
                let end = text.len() - tail.len() + 1;
                found.push((start, name, end, end_char));
            }
        }
        from = start + 1;
    }
    found
}

fn cfg_test_declarations(text: &str) -> Vec<String> {
    cfg_test_modules(text)
        .into_iter()
        .filter(|(_, _, _, end)| *end == ';')
        .map(|(_, name, _, _)| name)
        .collect()
}

fn cut_cfg_test_blocks(text: &str) -> String {
    let mut out = String::new();
    let mut kept_to = 0;
    for (start, _, body, end) in cfg_test_modules(text) {
        if end != '{' || start < kept_to {
            continue;
        }
        let mut depth = 1;
        let mut close = body;
        for (offset, c) in text[body..].char_indices() {
            depth += match c {
                '{' => 1,
                '}' => -1,
                _ => 0,
            };
            if depth == 0 {
                close = body + offset + 1;
                break;
            }
        }
        out.push_str(&text[kept_to..start]);
        kept_to = close;
    }
    out.push_str(&text[kept_to..]);
    out
}

/// Every path a file names: `use` trees expanded, plus inline `a::b::c` paths.
fn paths_in(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = String::new();
    let mut from = 0;
    while let Some(at) = find_word(text, "use", from) {
        let body_start = at + 3;
        let Some(semi) = text[body_start..].find(';') else {
            break;
        };
        rest.push_str(&text[from..at]);
        paths.extend(expand_use_tree(&text[body_start..body_start + semi]));
        from = body_start + semi + 1;
    }
    rest.push_str(&text[from..]);
    paths.extend(inline_paths(&rest));
    paths
}

/// `word` standing alone (not part of an identifier), followed by white space.
fn find_word(text: &str, word: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut search = from;
    while let Some(at) = text[search..].find(word) {
        let start = search + at;
        let end = start + word.len();
        let before_ok = start == 0 || !is_ident(bytes[start - 1]);
        let after_ok = bytes.get(end).is_some_and(u8::is_ascii_whitespace);
        if before_ok && after_ok {
            return Some(start);
        }
        search = end;
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `a::{b, c::{d, e as f}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree: String = tree.split_whitespace().collect::<Vec<_>>().join(" ");
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        let plain = tree.split(" as ").next().unwrap_or(tree).trim();
        return if plain.is_empty() {
            vec![]
        } else {
            vec![plain.to_owned()]
        };
    };
    let prefix = &tree[..open];
    let close = tree.rfind('}').unwrap_or(tree.len());
    let mut items = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in tree[open + 1..close].chars() {
        match c {
            ',' if depth == 0 => items.push(std::mem::take(&mut current)),
            '{' => {
                depth += 1;
                current.push(c);
            }
            '}' => {
                depth -= 1;
                current.push(c);
            }
            _ => current.push(c),
        }
    }
    items.push(current);
    items
        .iter()
        .flat_map(|item| expand_use_tree(item))
        .map(|sub| {
            if sub == "self" {
                prefix.trim_end_matches("::").to_owned()
            } else {
                format!("{prefix}{sub}")
            }
        })
        .collect()
}

/// Runs like `crate::feed::source::parse_id` or `super::common::split` outside `use` lines.
fn inline_paths(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let starts_here = (i == 0 || !(is_ident(bytes[i - 1]) || bytes[i - 1] == b':'))
            && (bytes[i].is_ascii_lowercase() || bytes[i] == b'_');
        if !starts_here {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < bytes.len()
            && (is_ident(bytes[j]) || (bytes[j] == b':' && bytes.get(j + 1) == Some(&b':')))
        {
            j += if bytes[j] == b':' { 2 } else { 1 };
        }
        let path = text[i..j].trim_end_matches("::");
        if path.contains("::") {
            found.push(path.to_owned());
        }
        i = j.max(i + 1);
    }
    found
}

/// The deepest module file a path names, relative to `module`; `None` for other crates.
fn resolve(files: &BTreeMap<Module, String>, module: &Module, path: &str) -> Option<Module> {
    let segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let (mut base, rest): (Module, &[&str]) = match segments.first().copied()? {
        "crate" => (vec![], &segments[1..]),
        "super" | "self" => {
            let mut base = module.clone();
            let mut k = 0;
            while let Some(seg @ ("super" | "self")) = segments.get(k).copied() {
                if seg == "super" {
                    base.pop();
                }
                k += 1;
            }
            (base, &segments[k..])
        }
        first => {
            let mut child = module.clone();
            child.push(first.to_owned());
            if !files.contains_key(&child) {
                return None; // another crate, or a local name
            }
            (module.clone(), &segments[..])
        }
    };
    base.extend(rest.iter().map(|s| (*s).to_owned()));
    (0..=base.len())
        .rev()
        .map(|k| base[..k].to_vec())
        .find(|candidate| files.contains_key(candidate))
}

fn top(module: &Module) -> &str {
    module.first().map_or("", String::as_str)
}

/// Each file-level cycle, as the files it runs through (Tarjan's strongly connected components).
fn cycles(krate: &Crate) -> Vec<Vec<String>> {
    struct Walk<'a> {
        krate: &'a Crate,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Module) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in &self.krate.imports[v] {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.on_stack.contains(w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack.remove(w);
                    group.push(self.krate.files[w].clone());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk {
        krate,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for module in krate.imports.keys() {
        if !walk.index.contains_key(module) {
            walk.visit(module);
        }
    }
    walk.found
}

/// Every import `rule` forbids, as `from -> to` lines.
fn violations(krate: &Crate, rule: impl Fn(&Module, &Module) -> bool) -> Vec<String> {
    krate
        .imports
        .iter()
        .flat_map(|(from, targets)| targets.iter().map(move |to| (from, to)))
        .filter(|(from, to)| rule(from, to))
        .map(|(from, to)| format!("{} -> {}", krate.files[from], krate.files[to]))
        .collect()
}

#[test]
fn the_reader_finds_the_imports_it_is_meant_to_find() {
    let krate = read_crate();
    let file = |rel: &str| module_of(rel);
    assert!(krate.files.len() > 40, "read {} files", krate.files.len());
    // A `use crate::…` line, a `use super::…` brace tree, and a child named from its parent.
    assert!(krate.imports[&file("startup.rs")].contains(&file("routes.rs")));
    assert!(krate.imports[&file("connect/jwt/host.rs")].contains(&file("connect/jwt/common.rs")));
    assert!(krate.imports[&file("pages/mod.rs")].contains(&file("pages/layout.rs")));
    // Test files are not product code.
    assert!(!krate.files.contains_key(&file("connect/jwt/host/tests.rs")));
}

#[test]
fn no_file_imports_a_file_that_imports_it_back() {
    let found = cycles(&read_crate());
    assert!(found.is_empty(), "file-level import cycles: {found:#?}");
}

#[test]
fn the_bottom_layer_imports_nothing_above_it() {
    let krate = read_crate();
    let found = violations(&krate, |from, to| {
        BOTTOM.contains(&top(from)) && !BOTTOM.contains(&top(to))
    });
    assert!(
        found.is_empty(),
        "bottom-layer files importing upward: {found:#?}"
    );
}

#[test]
fn nothing_imports_startup_and_only_startup_imports_routes() {
    let krate = read_crate();
    let found = violations(&krate, |from, to| {
        top(to) == "startup" || (top(to) == "routes" && top(from) != "startup")
    });
    assert!(found.is_empty(), "imports of startup or routes: {found:#?}");
}

#[test]
fn connect_knows_nothing_of_the_areas_built_on_it() {
    let krate = read_crate();
    let found = violations(&krate, |from, to| {
        top(from) == "connect" && CONNECT_MUST_NOT_IMPORT.contains(&top(to))
    });
    assert!(
        found.is_empty(),
        "connect importing a layer above it: {found:#?}"
    );
}

#[test]
fn the_use_tree_reader_expands_nested_braces() {
    assert_eq!(
        expand_use_tree("crate::a::{b, c::{d, e as f}, self}"),
        [
            "crate::a::b",
            "crate::a::c::d",
            "crate::a::c::e",
            "crate::a"
        ]
    );
    assert_eq!(
        inline_paths("let x = crate::feed::source::parse_id(raw); y.z::<T>()"),
        ["crate::feed::source::parse_id"]
    );
}
