//! The repository's own rules, checked in CI (`cargo xtask tidy`, part of `test`):
//! TODO markers carry an issue, crate roots say what they are, docs and pins, and the
//! dependency graph ([`deps`]).

mod deps;

use std::fs;
use std::path::{Path, PathBuf};

/// Checks every rule; reports all violations at once.
pub fn check(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let sources = rust_sources(root);
    if sources.is_empty() {
        problems.push("no Rust sources found".to_string());
    }
    for file in &sources {
        let Ok(text) = fs::read_to_string(file) else {
            problems.push(format!("{}: unreadable", file.display()));
            continue;
        };
        let rel = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        for (n, line) in text.lines().enumerate() {
            for marker in ["TODO", "FIXME", "XXX"] {
                if line.contains(marker) && !has_issue_ref(line) && !rel.ends_with("tidy.rs") {
                    problems.push(format!(
                        "{rel}:{}: {marker} without an issue reference (#N)",
                        n + 1
                    ));
                }
            }
        }
        let is_crate_root = rel.ends_with("src/lib.rs") || rel.ends_with("src/main.rs");
        if is_crate_root && !rel.contains("fuzz_targets") && !text.trim_start().starts_with("//!") {
            problems.push(format!(
                "{rel}: a crate root starts with a //! paragraph saying what the crate is"
            ));
        }
    }
    problems.extend(check_docs(root));
    problems.extend(check_pins(root));
    problems.extend(deps::check(root));
    if problems.is_empty() {
        eprintln!("    tidy: ok ({} Rust files)", sources.len());
        Ok(())
    } else {
        Err(format!(
            "tidy found {} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

fn has_issue_ref(line: &str) -> bool {
    line.match_indices('#')
        .any(|(i, _)| line[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
}

fn rust_sources(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = ["chain", "xtask", "fuzz", "src-tauri", "ui", "tests"]
        .iter()
        .map(|d| root.join(d))
        .collect();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if !matches!(
                    name.as_str(),
                    "target" | "corpus" | "artifacts" | "seeds" | "node_modules"
                ) {
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

fn check_docs(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let read = |f: &str| fs::read_to_string(root.join(f)).unwrap_or_default();
    let readme = read("README.md");
    // The README starts with the two commands, in its first code block.
    let first_block = readme.split("```").nth(1).unwrap_or("");
    for cmd in ["cargo xtask run", "cargo xtask test"] {
        if !first_block.contains(cmd) {
            problems.push(format!("README.md: the first code block must hold `{cmd}`"));
        }
    }
    if !read(".ci/run")
        .lines()
        .any(|l| l.trim().ends_with("cargo xtask test"))
    {
        problems.push(".ci/run must run the README's test command, `cargo xtask test`".into());
    }
    let arch = read("ARCHITECTURE.md");
    if let Ok(entries) = fs::read_dir(root.join("chain")) {
        for e in entries.flatten() {
            let name = format!("chain/{}", e.file_name().to_string_lossy());
            if e.path().join("Cargo.toml").exists() && !arch.contains(&name) {
                problems.push(format!(
                    "ARCHITECTURE.md: the code map does not mention {name}"
                ));
            }
        }
    }
    if !root.join("BENCHMARKS.md").exists() {
        problems.push("BENCHMARKS.md is missing".into());
    }
    problems
}

/// Every shared dependency version is pinned exactly (`=x.y.z`).
fn check_pins(root: &Path) -> Vec<String> {
    let text = fs::read_to_string(root.join("Cargo.toml")).unwrap_or_default();
    let Some(deps) = text.split("[workspace.dependencies]").nth(1) else {
        return vec!["Cargo.toml: no [workspace.dependencies]".into()];
    };
    let deps = deps.split("\n[").next().unwrap_or("");
    deps.lines()
        .filter(|l| l.contains('"') && !l.contains("path =") && !l.trim_start().starts_with('#'))
        .filter(|l| {
            let version = l
                .split("version = ")
                .nth(1)
                .or_else(|| l.split("= ").nth(1))
                .unwrap_or("");
            !version.trim_start().starts_with("\"=")
        })
        .map(|l| format!("Cargo.toml: dependency not pinned with =: {}", l.trim()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_references() {
        assert!(has_issue_ref("// TODO(#4): camera scanning"));
        assert!(!has_issue_ref("// TODO later"));
        assert!(!has_issue_ref("// TODO # later"));
    }

    #[test]
    fn this_repository_is_tidy() {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        assert_eq!(check(&root), Ok(()));
    }
}
