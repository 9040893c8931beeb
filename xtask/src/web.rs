//! Builds a web bundle (a page's `dist` folder) with the tools the workspace already has:
//! cargo builds the wasm32 binary (the `web` profile of Cargo.toml: size first), the
//! pinned wasm-bindgen CLI writes its JavaScript glue, and the page's `index.html` gets
//! the files under content-hashed names (so a browser or the app's webview never mixes a
//! cached old script with a new wasm file). No bundler is compiled or downloaded.
//!
//! `index.html` is the template: `<!-- handoff:wasm -->` marks where the preload links
//! and the start-up script go, and `href="…"` of `<link rel="stylesheet">` and
//! `<link rel="icon">` name files (relative to the page) that are copied with a hash.

use crate::{Result, step, tool_path};
use sha2::{Digest, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One page to build: a wasm32 binary of the workspace and the folder of its page.
pub struct Bundle {
    /// The binary's package (its binary has the same name).
    pub package: &'static str,
    /// The folder holding `index.html`, relative to the repository root.
    pub dir: &'static str,
    /// The URL path the files are served under (`/` for the staff app, `/c/` for the
    /// consumer page, whose own address is a product's Digital Link).
    pub base: &'static str,
    /// Whether it is an installable web app (manifest, icons, service worker: `pwa.rs`).
    pub installable: bool,
}

/// The staff app (`ui/dist`, which the desktop app bundles and nodes serve with `--ui`).
pub const STAFF_UI: Bundle = Bundle {
    package: "handoff-ui",
    dir: "ui",
    base: "/",
    installable: true,
};

/// The consumer page (`consumer/dist`, served by nodes at `/c/` and to browsers that open
/// a Digital Link).
pub const CONSUMER: Bundle = Bundle {
    package: "handoff-consumer",
    dir: "consumer",
    base: "/c/",
    installable: false,
};

/// The marker in `index.html` replaced by the preload links and the start-up script.
const MARKER: &str = "<!-- handoff:wasm -->";

/// Builds `bundle` into `<dir>/dist`, replacing what was there.
pub fn build(root: &Path, target_dir: &Path, bundle: &Bundle) -> Result<()> {
    step(
        &format!("{}: cargo build (wasm32, profile web)", bundle.package),
        crate::cargo().current_dir(root).args([
            "build",
            "--profile",
            "web",
            "--locked",
            "--target",
            "wasm32-unknown-unknown",
            "-p",
            bundle.package,
            "--bin",
            bundle.package,
        ]),
    )?;
    let wasm = target_dir
        .join("wasm32-unknown-unknown")
        .join("web")
        .join(format!("{}.wasm", bundle.package));
    let page = root.join(bundle.dir);
    let dist = page.join("dist");
    let staging = page.join("dist.new");
    remove_dir(&staging)?;
    let glue = staging.join("glue");
    step(
        &format!("{}: wasm-bindgen (--target web)", bundle.package),
        Command::new(tool_path("wasm-bindgen"))
            .arg("--target")
            .arg("web")
            .arg("--no-typescript")
            // Function names and tool versions are of no use on a phone; the size is.
            .arg("--remove-name-section")
            .arg("--remove-producers-section")
            .arg("--out-dir")
            .arg(&glue)
            .arg("--out-name")
            .arg(bundle.package)
            .arg(&wasm),
    )?;
    let template = read(&page.join("index.html"))?;
    if template.matches(MARKER).count() != 1 {
        return Err(format!(
            "{}: index.html must hold {MARKER} exactly once",
            page.display()
        ));
    }
    let js = copy_hashed(
        &glue.join(format!("{}.js", bundle.package)),
        &staging,
        bundle.package,
        "js",
    )?;
    let wasm_name = copy_hashed(
        &glue.join(format!("{}_bg.wasm", bundle.package)),
        &staging,
        &format!("{}_bg", bundle.package),
        "wasm",
    )?;
    remove_dir(&glue)?;
    let mut html = template.clone();
    let mut files = vec![js.clone(), wasm_name.clone()];
    for (rel, href) in linked_files(&template) {
        let src = page.join(&href);
        let stem = src
            .file_stem()
            .and_then(|s| s.to_str())
            .ok_or_else(|| format!("{}: bad file name {href}", page.display()))?;
        let ext = src.extension().and_then(|s| s.to_str()).unwrap_or("");
        let name = copy_hashed(&src, &staging, stem, ext)?;
        files.push(name.clone());
        html = html.replace(
            &format!("rel=\"{rel}\" href=\"{href}\""),
            &format!("rel=\"{rel}\" href=\"{}{name}\"", bundle.base),
        );
    }
    let base = bundle.base;
    let start = format!(
        "<link rel=\"modulepreload\" href=\"{base}{js}\" crossorigin=\"anonymous\" />\n    \
         <link rel=\"preload\" href=\"{base}{wasm_name}\" as=\"fetch\" type=\"application/wasm\" \
         crossorigin=\"anonymous\" />\n    \
         <script type=\"module\">import init from '{base}{js}'; await init({{ module_or_path: \
         '{base}{wasm_name}' }});</script>"
    );
    html = html.replace(MARKER, &start);
    if bundle.installable {
        html = crate::pwa::add(root, &staging, bundle.base, &html, &files)?;
    }
    fs::write(staging.join("index.html"), html)
        .map_err(|e| format!("{}: {e}", staging.display()))?;
    remove_dir(&dist)?;
    fs::rename(&staging, &dist).map_err(|e| format!("{}: {e}", dist.display()))?;
    let size = fs::metadata(dist.join(&wasm_name)).map_or(0, |m| m.len());
    eprintln!(
        "    {}: {} ({} KiB of wasm)",
        bundle.package,
        dist.display(),
        size / 1024
    );
    Ok(())
}

/// `(rel, href)` of the template's stylesheet and icon links.
fn linked_files(html: &str) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for rel in ["stylesheet", "icon"] {
        let open = format!("rel=\"{rel}\" href=\"");
        let mut rest = html;
        while let Some(i) = rest.find(&open) {
            rest = &rest[i + open.len()..];
            if let Some(end) = rest.find('"') {
                out.push((rel, rest[..end].to_string()));
            }
        }
    }
    out
}

/// Copies `src` into `dir` as `<stem>-<hash>.<ext>` and returns that name.
fn copy_hashed(src: &Path, dir: &Path, stem: &str, ext: &str) -> Result<String> {
    let bytes = fs::read(src).map_err(|e| format!("{}: {e}", src.display()))?;
    let digest = Sha256::digest(&bytes);
    let hash: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("{stem}-{hash}.{ext}");
    fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    fs::write(dir.join(&name), bytes).map_err(|e| format!("{}: {e}", dir.display()))?;
    Ok(name)
}

fn read(path: &Path) -> Result<String> {
    fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

fn remove_dir(path: &PathBuf) -> Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
