//! `cargo xtask`: the project's chores, in Rust so they run the same everywhere.
//!
//! - `cargo xtask run`   — set the machine up, build, and launch Handoff on an embedded
//!   single-node chain with demo data.
//! - `cargo xtask test`  — set the machine up and run every check CI runs (`.ci/run`).
//! - `cargo xtask setup` — only install what is missing.
//! - `cargo xtask bench` — the ledger and history benchmarks, as JSON.
//!
//! Set-up is idempotent: each step checks first and installs only what is missing, so a
//! warm machine spends well under a second on it.

mod tidy;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Debian packages the build needs (C compiler for mimalloc, pkg-config for -sys crates).
const APT_PACKAGES: &[&str] = &["build-essential", "pkg-config"];
/// Rust targets: wasm32 for the pure ledger crate (the browser verifies with it).
const RUST_TARGETS: &[&str] = &["wasm32-unknown-unknown"];
const RUST_COMPONENTS: &[&str] = &["rustfmt", "clippy"];
/// Pinned tools installed with `cargo install --locked`.
const CARGO_FUZZ_VERSION: &str = "0.13.1";
/// Seconds each fuzz target runs in `test` (a smoke run; long runs are `cargo fuzz run`).
const FUZZ_SMOKE_SECONDS: u32 = 20;
/// The demo's data folder, under the repository root.
const DEMO_DATA: &str = ".handoff-demo";

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => test(flag("--quick"), flag("--no-setup")),
        Some("run") => run(),
        Some("bench") => bench(),
        Some("tidy") => tidy::check(&root()),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test [--quick] [--no-setup]|setup|bench|tidy>\n\
                 \n  run    set up, build and launch Handoff with demo data\
                 \n  test   set up and run every check CI runs (--quick skips fuzzing)\
                 \n  setup  install what this machine lacks\
                 \n  bench  ledger and history benchmarks\
                 \n  tidy   the repository's own rules"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The repository root (xtask lives one level below it).
fn root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(Path::to_path_buf).unwrap_or(here)
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, failing with the step's name if it fails.
fn step(name: &str, cmd: &mut Command) -> Result<()> {
    let t = Instant::now();
    eprintln!("==> {name}");
    let status = cmd
        .status()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    if !status.success() {
        return Err(format!("step '{name}' failed ({status})"));
    }
    eprintln!("    {name}: ok in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|s| s.trim() == "0")
}

fn setup() -> Result<()> {
    // Debian packages.
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            !output(Command::new("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_some_and(|s| s.contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        eprintln!("ok   apt packages ({})", APT_PACKAGES.join(" "));
    } else {
        eprintln!("installing apt packages: {}", missing.join(" "));
        let sudo = |c: &str| {
            let mut cmd = if is_root() {
                Command::new(c)
            } else {
                Command::new("sudo")
            };
            if !is_root() {
                cmd.arg(c);
            }
            cmd.env("DEBIAN_FRONTEND", "noninteractive");
            cmd
        };
        step("apt-get update", sudo("apt-get").arg("update"))?;
        step(
            "apt-get install",
            sudo("apt-get")
                .args(["install", "-y", "--no-install-recommends"])
                .args(&missing),
        )?;
    }
    // Rust targets and components of the pinned toolchain (rust-toolchain.toml).
    let targets =
        output(
            Command::new("rustup")
                .current_dir(root())
                .args(["target", "list", "--installed"]),
        )
        .unwrap_or_default();
    for t in RUST_TARGETS {
        if targets.lines().any(|l| l.trim() == *t) {
            eprintln!("ok   rust target {t}");
        } else {
            step(
                &format!("rustup target add {t}"),
                Command::new("rustup")
                    .current_dir(root())
                    .args(["target", "add", t]),
            )?;
        }
    }
    let components = output(Command::new("rustup").current_dir(root()).args([
        "component",
        "list",
        "--installed",
    ]))
    .unwrap_or_default();
    for c in RUST_COMPONENTS {
        if components.lines().any(|l| l.starts_with(c)) {
            eprintln!("ok   rust component {c}");
        } else {
            step(
                &format!("rustup component add {c}"),
                Command::new("rustup")
                    .current_dir(root())
                    .args(["component", "add", c]),
            )?;
        }
    }
    // Pinned cargo tools.
    let have = output(cargo().args(["fuzz", "--version"])).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(CARGO_FUZZ_VERSION) {
        eprintln!("ok   cargo-fuzz {CARGO_FUZZ_VERSION}");
    } else {
        step(
            &format!("cargo install cargo-fuzz {CARGO_FUZZ_VERSION}"),
            cargo().args([
                "install",
                "cargo-fuzz",
                "--locked",
                "--version",
                &format!("={CARGO_FUZZ_VERSION}"),
            ]),
        )?;
    }
    Ok(())
}

fn test(quick: bool, no_setup: bool) -> Result<()> {
    let t = Instant::now();
    if !no_setup {
        setup()?;
    }
    eprintln!("==> tidy");
    tidy::check(&root())?;
    step("rustfmt", cargo().args(["fmt", "--all", "--", "--check"]))?;
    step(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step(
        "wasm32 build of handoff-core",
        cargo().args([
            "build",
            "--locked",
            "-p",
            "handoff-core",
            "--target",
            "wasm32-unknown-unknown",
        ]),
    )?;
    step("tests", cargo().args(["test", "--workspace", "--locked"]))?;
    if quick {
        eprintln!("    (fuzz smoke skipped: --quick)");
    } else {
        fuzz_smoke()?;
    }
    eprintln!("all checks passed in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Runs every fuzz target briefly on its checked-in seeds. The fuzz crate builds with the
/// pinned stable toolchain: `RUSTC_BOOTSTRAP=1` enables the sanitizer flags cargo-fuzz
/// passes, so no nightly toolchain is needed.
fn fuzz_smoke() -> Result<()> {
    let dir = root().join("fuzz");
    if !dir.join("Cargo.toml").exists() {
        return Err("fuzz/Cargo.toml is missing".into());
    }
    let fuzz = |args: &[&str]| {
        let mut c = cargo();
        c.current_dir(&dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .arg("fuzz")
            .args(args);
        c
    };
    let list = output(&mut fuzz(&["list"])).ok_or("cargo fuzz list failed")?;
    let targets: Vec<&str> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if targets.is_empty() {
        return Err("no fuzz targets".into());
    }
    step("fuzz build", &mut fuzz(&["build", "--release"]))?;
    for t in targets {
        let corpus = dir.join("corpus").join(t);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let seeds = dir.join("seeds").join(t);
        let mut cmd = fuzz(&["run", "--release", t]);
        cmd.arg(&corpus);
        if seeds.exists() {
            cmd.arg(&seeds);
        }
        cmd.args([
            "--",
            &format!("-max_total_time={FUZZ_SMOKE_SECONDS}"),
            "-rss_limit_mb=2048",
            "-max_len=8192",
            "-print_final_stats=1",
        ]);
        step(&format!("fuzz {t} ({FUZZ_SMOKE_SECONDS} s)"), &mut cmd)?;
    }
    Ok(())
}

fn handoff_bin() -> Result<PathBuf> {
    step(
        "build handoff (release)",
        cargo().args(["build", "--release", "--locked", "-p", "handoff-node"]),
    )?;
    let meta = output(cargo().args(["metadata", "--format-version", "1", "--no-deps"]))
        .ok_or("cargo metadata failed")?;
    let target_dir =
        json_string(&meta, "target_directory").ok_or("no target_directory in cargo metadata")?;
    Ok(PathBuf::from(target_dir).join("release").join("handoff"))
}

/// The string value of the first `"key":"…"` in a JSON text (enough for cargo metadata).
fn json_string(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\""))?;
    let rest = &json[at + key.len() + 2..];
    let start = rest.find('"')? + 1;
    let mut out = String::new();
    let mut chars = rest[start..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

/// Until the desktop app exists, `run` seeds the demo chain and shows what to try.
fn run() -> Result<()> {
    setup()?;
    let bin = handoff_bin()?;
    let data = root().join(DEMO_DATA);
    let handoff = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.arg("--data").arg(&data).args(args);
        c
    };
    if data.join("chain").exists() {
        eprintln!("ok   demo data in {}", data.display());
    } else {
        step("seed the demo supply chain", &mut handoff(&["demo"]))?;
    }
    step("chain status", &mut handoff(&["status"]))?;
    let d = data.display();
    let b = bin.display();
    println!(
        "\nHandoff is running on an embedded single-node chain in {d}.\n\
         Try:\n  \
         {b} --data {d} --as \"Corner Grocer\" handoff inbox\n  \
         {b} --data {d} id parse \"(01)00614141025015(21)E261000001\"\n  \
         {b} --data {d} --json item history \"https://id.gs1.org/01/00614141025015/21/E261000001\"\n  \
         {b} --data {d} verify \"(01)00614141025015(21)E261000001\"\n  \
         {b} --help"
    );
    Ok(())
}

fn bench() -> Result<()> {
    let bin = handoff_bin()?;
    step("bench ledger", Command::new(&bin).args(["bench", "ledger"]))?;
    step(
        "bench history",
        Command::new(&bin).args(["bench", "history"]),
    )?;
    Ok(())
}
