//! The dependency rules: which workspace crate may depend on which, which crate alone may
//! name sled, libp2p and tauri, and where `anyhow` may appear. Read from every crate's
//! `Cargo.toml` (all dependency tables: normal, dev, build and per target) and from the
//! `use`/path imports in its sources.
//!
//! Every problem starts with the rule it breaks (`deps/edge`, `deps/sled`, …), so a test
//! can tell that the rule it broke on purpose is the one that fired.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The allowed edges between the workspace's crates: each crate and the workspace crates
/// it may depend on (in any dependency table). A crate missing from this table, or an
/// edge missing from its row, is an error until it is added here on purpose. A row whose
/// crate folder does not exist (yet) is not an error.
pub const EDGES: &[(&str, &[&str])] = &[
    ("handoff-core", &[]),
    ("handoff-store", &["handoff-core"]),
    ("handoff-application", &["handoff-core", "handoff-store"]),
    ("handoff-net", &["handoff-core"]),
    ("handoff-consensus", &["handoff-core"]),
    // The typed API (chain/api): requests and responses over ledger types.
    ("handoff-api", &["handoff-core"]),
    // The HTTP server (chain/http): speaks the API, never the ledger's internals; the
    // resolver reads Digital Links with core's pure GS1 code (`gs1::resolve`).
    ("handoff-http", &["handoff-api", "handoff-core"]),
    // EPCIS 2.0 documents (chain/epcis): pure, over core's GS1 keys; the node's import
    // and export build on it.
    ("handoff-epcis", &["handoff-core"]),
    (
        "handoff-node",
        &[
            "handoff-core",
            "handoff-store",
            "handoff-application",
            "handoff-net",
            "handoff-consensus",
            "handoff-api",
            "handoff-http",
            "handoff-epcis",
        ],
    ),
    // The command line (chain/cli): clap, rendering, demo, benchmarks, load; a binary
    // (anyhow allowed) over the node's API and the HTTP client.
    (
        "handoff-cli",
        &[
            "handoff-core",
            "handoff-store",
            "handoff-net",
            "handoff-api",
            "handoff-http",
            "handoff-node",
            "handoff-epcis",
        ],
    ),
    (
        "handoff-sim",
        &[
            "handoff-core",
            "handoff-store",
            "handoff-application",
            "handoff-consensus",
        ],
    ),
    // The desktop and mobile shell (src-tauri). handoff-cli only as a dev-dependency:
    // its tests seed the demo chain as `handoff demo` does (checked below).
    (
        "handoff-app",
        &["handoff-core", "handoff-node", "handoff-api", "handoff-cli"],
    ),
    // The UI (wasm): the ledger's pure types and the API, never the node.
    ("handoff-ui", &["handoff-core", "handoff-api"]),
    // The consumer page (wasm): checks evidence with core, speaks the API's types.
    ("handoff-consumer", &["handoff-core", "handoff-api"]),
    ("handoff-e2e", &[]),
    (
        "handoff-powerloss",
        &[
            "handoff-core",
            "handoff-store",
            "handoff-node",
            "handoff-api",
            "handoff-cli",
        ],
    ),
    (
        "handoff-fuzz",
        &[
            "handoff-core",
            "handoff-node",
            "handoff-net",
            "handoff-consensus",
            "handoff-api",
            "handoff-http",
            "handoff-epcis",
        ],
    ),
    ("xtask", &[]),
];

/// Third-party crates only one workspace crate may name (in its `Cargo.toml` or its
/// sources): the crate, the dependency names it covers (a name or a `prefix-`), and the
/// one crate allowed.
const OWNED: &[(&str, &[&str], &str)] = &[
    ("sled", &["sled"], "handoff-store"),
    ("libp2p", &["libp2p", "libp2p-"], "handoff-net"),
    ("tauri", &["tauri", "tauri-"], "handoff-app"),
];

/// Edges allowed only as dev-dependencies (for tests): `(crate, dependency)`. The app
/// never links the command line (its demo, benchmarks, load); its tests seed the demo
/// chain with it.
const DEV_ONLY: &[(&str, &str)] = &[("handoff-app", "handoff-cli")];

/// Library crates: they must not depend on `anyhow` (operational errors are typed per
/// crate with `thiserror`).
const LIBRARIES: &[&str] = &[
    "handoff-core",
    "handoff-store",
    "handoff-application",
    "handoff-net",
    "handoff-consensus",
    "handoff-api",
    "handoff-http",
];

/// Libraries that must depend on `anyhow` because a trait they implement names it, with
/// why. For them the rule is that no `pub fn` signature names it.
const ANYHOW_FOR_TRAITS: &[(&str, &str)] = &[(
    "handoff-store",
    "jmt's TreeReader/TreeWriter traits return anyhow::Result",
)];

/// `handoff-node`'s public functions that still return or take `anyhow` types in the
/// modules other crates use (`file`, function name). A known debt, listed so it shrinks:
/// a new one is an error, and so is an entry here that no longer offends (remove it).
const NODE_ANYHOW_KNOWN: &[(&str, &str)] = &[
    ("chain/node/src/gateway.rs", "set_blocked_local"),
    ("chain/node/src/gateway.rs", "start"),
    ("chain/node/src/gateway.rs", "write_node_file"),
    ("chain/node/src/identity.rs", "generate"),
    ("chain/node/src/identity.rs", "list"),
    ("chain/node/src/identity.rs", "mark_unconfirmed"),
    ("chain/node/src/identity.rs", "remove_key"),
    ("chain/node/src/identity.rs", "save"),
    ("chain/node/src/identity.rs", "save_validator"),
    ("chain/node/src/identity.rs", "select"),
    ("chain/node/src/identity.rs", "validator"),
    ("chain/node/src/identity.rs", "write_key"),
    ("chain/node/src/ledger.rs", "attach_network"),
    ("chain/node/src/ledger.rs", "committed_outcome"),
    ("chain/node/src/ledger.rs", "create"),
    ("chain/node/src/ledger.rs", "open"),
    ("chain/node/src/ledger.rs", "open_node"),
    ("chain/node/src/ledger.rs", "submit_pipelined"),
    ("chain/node/src/light/node.rs", "read_nonce"),
    ("chain/node/src/light/node.rs", "record"),
    ("chain/node/src/light/node.rs", "start"),
    ("chain/node/src/light/node.rs", "wait_synced"),
    ("chain/node/src/wal.rs", "append"),
    ("chain/node/src/wal.rs", "open"),
    ("chain/node/src/wal.rs", "prune_below"),
];

/// Dependencies an API crate may have (`handoff-api`: the ledger's types and serde;
/// `serde_json` for the limits check over any request, `utoipa` behind the `openapi`
/// feature for the HTTP server's document; `percent-encoding` and `serde_urlencoded`
/// for `wire::encode`, the one URL encoding of a request that the typed HTTP client and
/// the UI's fetch transport share).
const API_ONLY: (&str, &[&str]) = (
    "handoff-api",
    &[
        "handoff-core",
        "serde",
        "serde_json",
        "utoipa",
        "percent-encoding",
        "serde_urlencoded",
    ],
);

/// One crate of the repository.
struct Crate {
    name: String,
    dir: PathBuf,
    /// Every dependency (real package name) with the table it is in.
    deps: Vec<(String, Table)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Table {
    Normal,
    Dev,
    Build,
}

/// Checks every dependency rule; one line per problem.
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let crates = match read_crates(root) {
        Ok(c) => c,
        Err(e) => return vec![e],
    };
    let edges: BTreeMap<&str, &[&str]> = EDGES.iter().copied().collect();
    let ours: BTreeSet<&str> = crates.iter().map(|c| c.name.as_str()).collect();
    for c in &crates {
        let dir = rel(root, &c.dir);
        let Some(allowed) = edges.get(c.name.as_str()) else {
            problems.push(format!(
                "deps/edge: {dir}/Cargo.toml: crate {} is not in the table of allowed \
                 edges (xtask/src/tidy/deps.rs EDGES): add it with the crates it may use",
                c.name
            ));
            continue;
        };
        let mut seen = BTreeSet::new();
        for (d, _) in &c.deps {
            if *d == c.name || (!ours.contains(d.as_str()) && !edges.contains_key(d.as_str())) {
                continue;
            }
            if !allowed.contains(&d.as_str()) && seen.insert(d.clone()) {
                problems.push(format!(
                    "deps/edge: {dir}/Cargo.toml: {} -> {d} is not an allowed edge \
                     (xtask/src/tidy/deps.rs EDGES)",
                    c.name
                ));
            }
        }
        for (d, t) in &c.deps {
            if *t != Table::Dev && DEV_ONLY.contains(&(c.name.as_str(), d.as_str())) {
                problems.push(format!(
                    "deps/dev-only: {dir}/Cargo.toml: {} -> {d} is allowed for its tests \
                     only (a [dev-dependencies] entry; xtask/src/tidy/deps.rs DEV_ONLY)",
                    c.name
                ));
            }
        }
        for (what, names, owner) in OWNED {
            if c.name == *owner {
                continue;
            }
            for (d, _) in &c.deps {
                if covers(names, d) {
                    problems.push(format!(
                        "deps/{what}: {dir}/Cargo.toml: {} depends on {d}; only {owner} may",
                        c.name
                    ));
                }
            }
        }
        if LIBRARIES.contains(&c.name.as_str()) {
            let uses = c
                .deps
                .iter()
                .any(|(d, t)| d == "anyhow" && *t != Table::Dev);
            let for_traits = ANYHOW_FOR_TRAITS.iter().any(|(n, _)| *n == c.name);
            if uses && !for_traits {
                problems.push(format!(
                    "deps/anyhow: {dir}/Cargo.toml: library {} depends on anyhow \
                     (typed errors with thiserror; anyhow only in binaries)",
                    c.name
                ));
            }
            if uses || for_traits {
                for (file, f) in pub_fns_naming_anyhow(&rust_files(&c.dir)) {
                    problems.push(format!(
                        "deps/anyhow: {}: pub fn {f} of library {} names anyhow in its \
                         signature",
                        rel(root, &file),
                        c.name
                    ));
                }
            }
        }
        if c.name == API_ONLY.0 {
            for (d, t) in &c.deps {
                if *t != Table::Dev && *d != c.name && !API_ONLY.1.contains(&d.as_str()) {
                    problems.push(format!(
                        "deps/api: {dir}/Cargo.toml: {} may depend on {} only, not {d}",
                        c.name,
                        API_ONLY.1.join(" and ")
                    ));
                }
            }
        }
    }
    problems.extend(check_sources(root, &crates));
    problems.extend(check_node_api(root, &crates));
    problems
}

fn rel(root: &Path, p: &Path) -> String {
    p.strip_prefix(root).unwrap_or(p).display().to_string()
}

fn covers(names: &[&str], dep: &str) -> bool {
    names.iter().any(|n| {
        if n.ends_with('-') {
            dep.starts_with(n)
        } else {
            dep == *n
        }
    })
}

/// The repository's crates: the workspace members, every `chain/*` crate, and `fuzz`.
fn read_crates(root: &Path) -> Result<Vec<Crate>, String> {
    let text = fs::read_to_string(root.join("Cargo.toml"))
        .map_err(|e| format!("deps: Cargo.toml: unreadable: {e}"))?;
    let manifest: toml::Table = text
        .parse()
        .map_err(|e| format!("deps: Cargo.toml: not TOML: {e}"))?;
    let workspace = manifest.get("workspace").and_then(|w| w.as_table());
    let shared = workspace
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
        .cloned()
        .unwrap_or_default();
    let mut dirs: BTreeSet<PathBuf> = workspace
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .map(|m| {
            m.iter()
                .filter_map(|v| v.as_str())
                .map(|s| root.join(s))
                .collect()
        })
        .unwrap_or_default();
    if let Ok(entries) = fs::read_dir(root.join("chain")) {
        dirs.extend(entries.flatten().map(|e| e.path()));
    }
    dirs.insert(root.join("fuzz"));
    let mut crates = Vec::new();
    for dir in dirs {
        let path = dir.join("Cargo.toml");
        let Ok(text) = fs::read_to_string(&path) else {
            // A member whose folder is not there (yet) is cargo's problem, not ours.
            continue;
        };
        let m: toml::Table = text
            .parse()
            .map_err(|e| format!("deps: {}: not TOML: {e}", rel(root, &path)))?;
        let Some(name) = m
            .get("package")
            .and_then(|p| p.get("name"))
            .and_then(|n| n.as_str())
        else {
            continue;
        };
        let mut deps = Vec::new();
        collect_deps(&m, &shared, &mut deps);
        if let Some(targets) = m.get("target").and_then(|t| t.as_table()) {
            for t in targets.values().filter_map(|t| t.as_table()) {
                collect_deps(t, &shared, &mut deps);
            }
        }
        crates.push(Crate {
            name: name.to_string(),
            dir,
            deps,
        });
    }
    Ok(crates)
}

/// The dependencies in one manifest (or one `[target.'…']` table), under their real
/// package names (`package = …` here or in the workspace's entry).
fn collect_deps(m: &toml::Table, shared: &toml::Table, out: &mut Vec<(String, Table)>) {
    for (key, table) in [
        ("dependencies", Table::Normal),
        ("dev-dependencies", Table::Dev),
        ("build-dependencies", Table::Build),
    ] {
        let Some(deps) = m.get(key).and_then(|d| d.as_table()) else {
            continue;
        };
        for (name, spec) in deps {
            let from_workspace = spec
                .get("workspace")
                .and_then(|w| w.as_bool())
                .unwrap_or(false);
            let package = spec
                .get("package")
                .or_else(|| {
                    from_workspace
                        .then(|| shared.get(name).and_then(|s| s.get("package")))
                        .flatten()
                })
                .and_then(|p| p.as_str())
                .unwrap_or(name);
            out.push((package.to_string(), table));
        }
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                // Nested crates are checked as crates of their own.
                if !matches!(name.as_str(), "target" | "corpus" | "artifacts" | "dist")
                    && !p.join("Cargo.toml").exists()
                {
                    stack.push(p);
                }
            } else if name.ends_with(".rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The code of a source file with line comments and the contents of string literals
/// removed (a comment or a message may name any crate).
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    in_str = false;
                    out.push('"');
                }
                '\n' => out.push('\n'),
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push('"');
            }
            // A `'"'` char literal does not open a string.
            '\'' if chars.peek() == Some(&'"') => {
                out.push('\'');
                chars.next();
            }
            '/' if chars.peek() == Some(&'/') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Whether `code` names the crate `name` in a path (`name::…`, `use name;`,
/// `extern crate name`), including through a re-export (`other::name::…`).
fn names_crate(code: &str, name: &str) -> bool {
    let word_at = |i: usize| {
        let before = code[..i].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
    };
    code.match_indices(name).any(|(i, _)| {
        let rest = &code[i + name.len()..];
        word_at(i)
            && (rest.starts_with("::")
                || (code[..i].trim_end().ends_with("use") && rest.trim_start().starts_with(';'))
                || code[..i].trim_end().ends_with("extern crate"))
    })
}

/// sled, libp2p and tauri named in the sources of a crate that does not own them. A
/// crate's own module of that name (the UI's `mod tauri`, its bridge to the webview) is
/// not the crate.
fn check_sources(root: &Path, crates: &[Crate]) -> Vec<String> {
    let mut problems = Vec::new();
    for c in crates {
        let files: Vec<(PathBuf, String)> = rust_files(&c.dir)
            .into_iter()
            .filter_map(|f| fs::read_to_string(&f).ok().map(|t| (f, code(&t))))
            .collect();
        for (what, _, owner) in OWNED {
            if c.name == *owner {
                continue;
            }
            let own_module = files.iter().any(|(_, t)| {
                t.contains(&format!("mod {what};")) || t.contains(&format!("mod {what} {{"))
            });
            if own_module {
                continue;
            }
            for (f, t) in &files {
                if names_crate(t, what) {
                    problems.push(format!(
                        "deps/{what}: {}: names {what}; only {owner} may",
                        rel(root, f)
                    ));
                }
            }
        }
    }
    problems
}

/// `pub fn`s (not `pub(crate)`/`pub(super)`) whose signature names anyhow: spelled out,
/// or the file's `use anyhow::…Result` alias as a one-argument `Result<T>`.
fn pub_fns_naming_anyhow(files: &[PathBuf]) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for f in files {
        let Ok(text) = fs::read_to_string(f) else {
            continue;
        };
        let text = code(&text);
        let alias = text.lines().any(|l| {
            let l = l.trim();
            l.starts_with("use anyhow::")
                && (l.contains("Result;") || l.contains("Result,") || l.contains("Result}"))
        });
        for (i, _) in text.match_indices("pub ") {
            let rest = &text[i + 4..];
            let rest = rest
                .strip_prefix("async ")
                .or_else(|| rest.strip_prefix("const "))
                .unwrap_or(rest);
            let Some(sig) = rest.strip_prefix("fn ") else {
                continue;
            };
            let end = sig.find(['{', ';']).unwrap_or(sig.len());
            let sig = &sig[..end];
            let name: String = sig
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if sig.contains("anyhow") || (alias && one_arg_result(sig)) {
                out.push((f.clone(), name));
            }
        }
    }
    out
}

/// Whether a signature names `Result<…>` with a single type argument.
fn one_arg_result(sig: &str) -> bool {
    sig.match_indices("Result<").any(|(i, _)| {
        let before = sig[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return false;
        }
        let mut depth = 0i32;
        for c in sig[i + "Result".len()..].chars() {
            match c {
                '<' | '(' | '[' => depth += 1,
                '>' | ')' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return true;
                    }
                }
                ',' if depth == 1 => return false,
                _ => {}
            }
        }
        false
    })
}

/// `handoff-node`'s modules other crates use: no `pub fn` of theirs names anyhow, apart
/// from the listed debt ([`NODE_ANYHOW_KNOWN`]), which must stay true.
fn check_node_api(root: &Path, crates: &[Crate]) -> Vec<String> {
    let Some(node) = crates.iter().find(|c| c.name == "handoff-node") else {
        return vec![];
    };
    let mut modules = BTreeSet::new();
    for c in crates.iter().filter(|c| c.name != node.name) {
        for f in rust_files(&c.dir) {
            let Ok(t) = fs::read_to_string(&f) else {
                continue;
            };
            let t = code(&t);
            for (i, _) in t.match_indices("handoff_node::") {
                let m: String = t[i + "handoff_node::".len()..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !m.is_empty() {
                    modules.insert(m);
                }
            }
            // `use handoff_node::{cli, light::…}`
            for (i, _) in t.match_indices("handoff_node::{") {
                let list = &t[i + "handoff_node::{".len()..];
                let list = &list[..list.find('}').unwrap_or(list.len())];
                for part in list.split(',') {
                    let m: String = part
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !m.is_empty() {
                        modules.insert(m);
                    }
                }
            }
        }
    }
    let src = node.dir.join("src");
    let mut files = Vec::new();
    for m in &modules {
        let file = src.join(format!("{m}.rs"));
        if file.exists() {
            files.push(file);
        }
        files.extend(rust_files(&src.join(m)));
    }
    let mut problems = Vec::new();
    let mut found = BTreeSet::new();
    for (file, f) in pub_fns_naming_anyhow(&files) {
        let r = rel(root, &file);
        if NODE_ANYHOW_KNOWN.contains(&(r.as_str(), f.as_str())) {
            found.insert((r, f));
            continue;
        }
        problems.push(format!(
            "deps/anyhow: {r}: pub fn {f} of handoff-node, whose module other crates use, \
             names anyhow in its signature (return a typed error)"
        ));
    }
    // Only meaningful where the listed files exist (not in a test's small workspace).
    for (file, f) in NODE_ANYHOW_KNOWN {
        if root.join(file).exists() && !found.contains(&(file.to_string(), f.to_string())) {
            problems.push(format!(
                "deps/anyhow: {file}: pub fn {f} no longer names anyhow (or is not used by \
                 another crate): remove it from NODE_ANYHOW_KNOWN in xtask/src/tidy/deps.rs"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A small workspace in a temporary folder, removed on drop.
    struct Fake {
        root: PathBuf,
    }

    impl Fake {
        /// Core, store and node with the allowed edges, sled in the store.
        fn new() -> Fake {
            static N: AtomicU32 = AtomicU32::new(0);
            let root = std::env::temp_dir().join(format!(
                "handoff-tidy-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&root);
            let f = Fake { root };
            f.write(
                "Cargo.toml",
                "[workspace]\nmembers = [\"chain/core\", \"chain/store\", \"chain/node\", \
                 \"ui\"]\n[workspace.dependencies]\nhandoff-core = { path = \"chain/core\" }\n\
                 handoff-store = { path = \"chain/store\" }\nsled = \"=0.34.7\"\n\
                 anyhow = \"=1.0.105\"\nwebkit = { package = \"tauri\", version = \"=2.12.5\" }\n",
            );
            f.manifest("chain/core", "handoff-core", "");
            f.manifest(
                "chain/store",
                "handoff-store",
                "handoff-core.workspace = true\nsled.workspace = true\n",
            );
            f.manifest(
                "chain/node",
                "handoff-node",
                "handoff-core.workspace = true\nhandoff-store.workspace = true\n\
                 anyhow.workspace = true\n",
            );
            f.manifest("ui", "handoff-ui", "handoff-core.workspace = true\n");
            f.write("chain/core/src/lib.rs", "//! Core.\npub fn f() {}\n");
            f.write(
                "chain/store/src/lib.rs",
                "//! Store.\nuse sled::Db;\npub fn open(_: Db) {}\n",
            );
            f.write(
                "chain/node/src/lib.rs",
                "//! Node: sled:: in a doc comment is fine.\npub mod run;\n",
            );
            f.write(
                "chain/node/src/run.rs",
                "use anyhow::Result;\npub fn run() -> Result<(), String> { Ok(()) }\n\
                 pub(crate) fn inner() -> Result<()> { Ok(()) }\n",
            );
            f.write(
                "ui/src/lib.rs",
                "//! UI.\nmod tauri;\npub fn go() { tauri::invoke(); }\n",
            );
            f
        }

        fn write(&self, path: &str, text: &str) {
            let p = self.root.join(path);
            if let Some(d) = p.parent() {
                fs::create_dir_all(d).expect("a folder in the temporary workspace");
            }
            fs::write(p, text).expect("a file in the temporary workspace");
        }

        fn manifest(&self, dir: &str, name: &str, deps: &str) {
            self.write(
                &format!("{dir}/Cargo.toml"),
                &format!("[package]\nname = \"{name}\"\n\n[dependencies]\n{deps}"),
            );
        }

        fn problems(&self) -> Vec<String> {
            check(&self.root)
        }

        /// Exactly one problem, of `rule`, mentioning `what`.
        fn fails(&self, rule: &str, what: &str) {
            let p = self.problems();
            assert!(
                p.len() == 1 && p[0].starts_with(&format!("deps/{rule}: ")) && p[0].contains(what),
                "expected one deps/{rule} problem about {what}, got {p:#?}"
            );
        }
    }

    impl Drop for Fake {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.root);
        }
    }

    #[test]
    fn the_allowed_graph_passes() {
        let f = Fake::new();
        assert_eq!(f.problems(), Vec::<String>::new());
    }

    #[test]
    fn an_edge_not_in_the_table_is_refused() {
        let f = Fake::new();
        f.manifest(
            "chain/core",
            "handoff-core",
            "handoff-store.workspace = true\n",
        );
        f.fails("edge", "handoff-core -> handoff-store");
    }

    #[test]
    fn a_test_only_edge_counts_too() {
        let f = Fake::new();
        f.write(
            "chain/store/Cargo.toml",
            "[package]\nname = \"handoff-store\"\n[dependencies]\nhandoff-core.workspace = true\n\
             sled.workspace = true\n[dev-dependencies]\nhandoff-node = { path = \"../node\" }\n",
        );
        f.fails("edge", "handoff-store -> handoff-node");
    }

    #[test]
    fn the_app_links_the_command_line_only_in_its_tests() {
        let f = Fake::new();
        let root = fs::read_to_string(f.root.join("Cargo.toml")).expect("workspace");
        f.write(
            "Cargo.toml",
            &root.replace("\"ui\"]", "\"ui\", \"src-tauri\"]"),
        );
        f.write(
            "src-tauri/Cargo.toml",
            "[package]\nname = \"handoff-app\"\n[dependencies]\nhandoff-node.workspace = true\n\
             [dev-dependencies]\nhandoff-cli = { path = \"../chain/cli\" }\n",
        );
        assert_eq!(f.problems(), Vec::<String>::new());
        f.manifest(
            "src-tauri",
            "handoff-app",
            "handoff-node.workspace = true\nhandoff-cli.workspace = true\n",
        );
        f.fails("dev-only", "handoff-app -> handoff-cli");
    }

    #[test]
    fn a_crate_not_in_the_table_is_refused() {
        let f = Fake::new();
        f.manifest(
            "chain/extra",
            "handoff-extra",
            "handoff-core.workspace = true\n",
        );
        f.write("chain/extra/src/lib.rs", "//! Extra.\n");
        f.fails("edge", "handoff-extra is not in the table");
    }

    #[test]
    fn sled_outside_the_store_is_refused() {
        let f = Fake::new();
        f.manifest(
            "chain/node",
            "handoff-node",
            "handoff-core.workspace = true\nsled.workspace = true\n",
        );
        f.fails("sled", "handoff-node depends on sled");
        let f = Fake::new();
        // Through a re-export of the store is still naming it.
        f.write(
            "chain/node/src/run.rs",
            "pub fn run(b: handoff_store::sled::Batch) {}\n",
        );
        f.fails("sled", "chain/node/src/run.rs");
    }

    #[test]
    fn libp2p_outside_the_network_crate_is_refused() {
        let f = Fake::new();
        f.write(
            "chain/node/Cargo.toml",
            "[package]\nname = \"handoff-node\"\n[dependencies]\nhandoff-core.workspace = true\n\
             [target.'cfg(unix)'.dependencies]\nlibp2p-tcp = \"=0.44.0\"\n",
        );
        f.fails("libp2p", "handoff-node depends on libp2p-tcp");
        let f = Fake::new();
        f.write("chain/store/src/net.rs", "use libp2p::PeerId;\n");
        f.fails("libp2p", "chain/store/src/net.rs");
    }

    #[test]
    fn tauri_outside_the_shell_is_refused() {
        let f = Fake::new();
        // Under another name: the real package counts.
        f.manifest(
            "ui",
            "handoff-ui",
            "handoff-core.workspace = true\nwebkit.workspace = true\n",
        );
        f.fails("tauri", "handoff-ui depends on tauri");
        let f = Fake::new();
        f.write("chain/node/src/run.rs", "use tauri::Manager;\n");
        f.fails("tauri", "chain/node/src/run.rs");
    }

    #[test]
    fn anyhow_in_a_library_is_refused() {
        let f = Fake::new();
        f.manifest("chain/core", "handoff-core", "anyhow.workspace = true\n");
        f.fails("anyhow", "library handoff-core depends on anyhow");
        // A library that needs it for a trait still keeps it out of its pub fns.
        let f = Fake::new();
        f.manifest(
            "chain/store",
            "handoff-store",
            "handoff-core.workspace = true\nsled.workspace = true\nanyhow.workspace = true\n",
        );
        assert_eq!(f.problems(), Vec::<String>::new());
        f.write(
            "chain/store/src/tree.rs",
            "pub fn read() -> anyhow::Result<u8> { Ok(1) }\n",
        );
        f.fails("anyhow", "pub fn read of library handoff-store");
    }

    #[test]
    fn anyhow_in_the_node_api_other_crates_use_is_refused() {
        let f = Fake::new();
        // Nobody outside uses `run`: its internals are its own business.
        f.write(
            "chain/node/src/run.rs",
            "use anyhow::{Context, Result};\npub fn run() -> Result<u8> { Ok(1) }\n",
        );
        assert_eq!(f.problems(), Vec::<String>::new());
        f.write(
            "ui/src/lib.rs",
            "//! UI.\nuse handoff_node::{run, other};\npub fn go() {}\n",
        );
        f.fails("anyhow", "pub fn run of handoff-node");
    }

    #[test]
    fn an_api_crate_has_core_and_serde_only() {
        let f = Fake::new();
        f.manifest(
            "chain/api",
            "handoff-api",
            "handoff-core.workspace = true\nserde = \"=1.0.229\"\nreqwest = \"=0.12.0\"\n",
        );
        f.fails("api", "not reqwest");
    }

    #[test]
    fn result_aliases_are_told_apart() {
        assert!(one_arg_result("f() -> Result<u8>"));
        assert!(one_arg_result("f() -> Result<Vec<(u8, u8)>>"));
        assert!(!one_arg_result("f() -> Result<u8, E>"));
        assert!(!one_arg_result("f() -> io::Result<u8>"));
        assert!(!one_arg_result("f() -> LightResult<u8>"));
        assert!(names_crate("use sled;", "sled"));
        assert!(names_crate("x: handoff_store::sled::Db", "sled"));
        assert!(!names_crate("let unsled::x", "sled"));
        assert!(!names_crate("\"sled\"", "sled"));
    }
}
