//! `cargo xtask`: the project's chores, in Rust so they run the same everywhere.
//!
//! - `cargo xtask run`   — set the machine up, build, and launch the Handoff desktop app
//!   on an embedded single-node chain with demo data.
//! - `cargo xtask test`  — set the machine up and run every check CI runs (`.ci/run`);
//!   `--long` adds the long seeded simulation (`LONG_SIM_SEEDS` seeds in each setup).
//! - `cargo xtask setup` — only install what is missing.
//! - `cargo xtask bench` — the ledger and history benchmarks, as JSON.
//! - `cargo xtask network` — a local shared chain: four validator processes and two
//!   desktop apps joined to it as light nodes (`--no-apps`: only the validators).
//!
//! Set-up is idempotent: each step checks first and installs only what is missing, so a
//! warm machine spends well under a second on it.

mod network;
mod pwa;
mod tidy;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

/// Debian packages: the C toolchain (mimalloc, -sys crates); WebKitGTK and friends for the
/// Tauri desktop app; Xvfb, WebKitWebDriver and Chromium for end-to-end and browser
/// tests; imagemagick for screenshots; a CJK font so the Chinese UI renders in both;
/// FUSE (`fusermount3`, and the library headers for tools built against libfuse) for the
/// power-loss tests' filesystem (tests/powerloss).
const APT_PACKAGES: &[&str] = &[
    "build-essential",
    "pkg-config",
    "file",
    "libssl-dev",
    "libwebkit2gtk-4.1-dev",
    "libxdo-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    "chromium",
    "chromium-driver",
    "imagemagick",
    "fonts-wqy-microhei",
    "fuse3",
    "libfuse3-dev",
    // xmllint: the EPCIS exports validated against GS1's XSD (chain/cli/tests/gs1_schemas.rs).
    "libxml2-utils",
];
/// Rust targets: wasm32 for the pure ledger crate (the browser verifies with it),
/// and aarch64 Android for the check of the mobile app's library.
const RUST_TARGETS: &[&str] = &["wasm32-unknown-unknown", "aarch64-linux-android"];
const RUST_COMPONENTS: &[&str] = &["rustfmt", "clippy"];
/// Pinned cargo tools: (crate, version, binary, `--locked`). wasm-bindgen-cli must equal
/// the `wasm-bindgen` crate of Cargo.lock and is installed without `--locked`.
const CARGO_TOOLS: &[(&str, &str, &str, bool)] = &[
    ("cargo-fuzz", "0.13.1", "cargo-fuzz", true),
    (
        "wasm-bindgen-cli",
        WASM_BINDGEN_VERSION,
        "wasm-bindgen",
        false,
    ),
    ("tauri-driver", "2.1.0", "tauri-driver", true),
    // Runs the test binaries in parallel, each test in its own process (on the machine
    // image already; installed only where it is missing).
    ("cargo-nextest", "0.9.143", "cargo-nextest", true),
];
/// The `wasm-bindgen` version pinned in ui/Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// Seeds per setup (four and seven validators, each with and without validator-set
/// changes) in the long simulation of `test --long`.
const LONG_SIM_SEEDS: u64 = 500;
/// Seconds each fuzz target runs in `test` (a smoke run; long runs are `cargo fuzz run`).
const FUZZ_SMOKE_SECONDS: u32 = 10;
/// The demo's data folder, under the repository root.
const DEMO_DATA: &str = ".handoff-demo";

type Result<T> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |f: &str| args.iter().any(|a| a == f);
    let result = match args.first().map(String::as_str) {
        Some("setup") => setup(),
        Some("test") => test(flag("--quick"), flag("--no-setup"), flag("--long")),
        Some("run") => run(),
        Some("network") => shared_network(flag("--no-apps")),
        Some("bench") if args.get(1).map(String::as_str) == Some("app") => bench_app(),
        Some("bench") => bench(),
        Some("tidy") => tidy::check(&root()),
        Some("fuzz") => fuzz_smoke(),
        Some("android") => AndroidCheck::start().and_then(|mut a| a.finish()),
        Some("ui") => ui_build(),
        _ => {
            eprintln!(
                "usage: cargo xtask <run|test [--quick] [--no-setup] [--long]|setup|ui|bench|network [--no-apps]|tidy|fuzz|android>\n\
                 \n  run    set up, build and launch Handoff with demo data\
                 \n  test   set up and run every check CI runs (--quick skips fuzzing, --long adds the long simulation)\
                 \n  setup  install what this machine lacks\
                 \n  ui     build the UI and the consumer page (ui/dist, consumer/dist)\
                 \n  bench  ledger and history benchmarks (bench app: app start-up and bundle size)\
                 \n  network  four local validators and two light desktop apps (--no-apps: validators only)\
                 \n  tidy   the repository's own rules\
                 \n  fuzz   the fuzz smoke run of `test` alone (every target, side by side)\
                 \n  android  the Android check of the app library that `test` runs in the background"
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
    let mut c = Command::new(cargo_path());
    c.current_dir(root());
    not_incremental_on_ci(&mut c);
    c
}

fn cargo_path() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// CI builds from scratch: incremental state only costs time there, and rustc 1.95 has
/// hit an internal error in incremental builds of the network crate. Every command that
/// runs cargo on the workspace's target folder sets it the same way: a build whose
/// `CARGO_INCREMENTAL` differs from the test build's compiles every workspace crate again.
fn not_incremental_on_ci(c: &mut Command) {
    if std::env::var_os("CI").is_some() && std::env::var_os("CARGO_INCREMENTAL").is_none() {
        c.env("CARGO_INCREMENTAL", "0");
    }
}

/// A cargo command whose builds of the workspace's own crates also run clippy with
/// warnings denied (what `cargo clippy -- -D warnings` does, without a second build).
/// Every cargo command of `test` that builds workspace crates goes through this, so they
/// all share one set of artifacts.
fn linted(mut c: Command) -> Command {
    c.env("RUSTC_WORKSPACE_WRAPPER", tool_path("clippy-driver"))
        .env(
            "CLIPPY_ARGS",
            "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
        );
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
    // Pinned cargo tools, each skipped when the installed binary reports its version.
    for (krate, version, bin, locked) in CARGO_TOOLS {
        let have = output(Command::new(tool_path(bin)).arg("--version")).unwrap_or_default();
        if have
            .split_whitespace()
            .any(|w| w.trim_start_matches('v') == *version)
        {
            eprintln!("ok   {krate} {version}");
            continue;
        }
        let mut cmd = cargo();
        cmd.args(["install", krate, "--version", &format!("={version}")]);
        if *locked {
            cmd.arg("--locked");
        }
        step(&format!("cargo install {krate} {version}"), &mut cmd)?;
    }
    // The browser tests' npm dependencies (playwright-core, and qrcode-generator for the
    // consumer page's camera frames), pinned by its lock file.
    let tests = root().join("ui").join("tests");
    if tests.join("package-lock.json").exists() {
        let modules = tests.join("node_modules");
        if ["playwright-core", "qrcode-generator"]
            .iter()
            .all(|p| modules.join(p).exists())
        {
            eprintln!("ok   npm packages of ui/tests");
        } else {
            step(
                "npm ci (ui/tests)",
                Command::new("npm")
                    .current_dir(&tests)
                    .args(["ci", "--no-audit", "--no-fund"]),
            )?;
        }
    }
    // The OpenAPI document's test validates it with this Python package.
    let have_validator = Command::new("python3")
        .args(["-c", "import openapi_spec_validator"])
        .status()
        .is_ok_and(|s| s.success());
    if have_validator {
        eprintln!("ok   openapi-spec-validator");
    } else {
        step(
            "pip install openapi-spec-validator 0.9.0",
            Command::new("python3").args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "openapi-spec-validator==0.9.0",
            ]),
        )?;
    }
    Ok(())
}

/// A cargo-installed tool: `~/.cargo/bin/<bin>` when it is there, else from PATH.
fn tool_path(bin: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    match home.map(|h| h.join("bin").join(bin)) {
        Some(p) if p.exists() => p,
        _ => PathBuf::from(bin),
    }
}

fn test(quick: bool, no_setup: bool, long: bool) -> Result<()> {
    let t = Instant::now();
    if !no_setup {
        setup()?;
    }
    eprintln!("==> tidy");
    tidy::check(&root())?;
    step("rustfmt", cargo().args(["fmt", "--all", "--", "--check"]))?;
    // The desktop app bundles ui/dist, so the UI is built before anything compiles the app.
    ui_build()?;
    // One build serves clippy, the tests and the app: clippy's driver wraps rustc for the
    // workspace's own crates, so linting happens while the test build compiles them (no
    // separate `cargo clippy` build), and the dev and test profiles are equal (Cargo.toml),
    // so the app and CLI binaries the E2E and browser tests need come out of this build too.
    step(
        "build and clippy (every workspace target, -D warnings)",
        linted(cargo()).args([
            "nextest",
            "run",
            "--no-run",
            "--workspace",
            "--all-targets",
            "--locked",
        ]),
    )?;
    // (handoff-core's wasm32 build, which the browser verifies with, is part of the UI
    // build above.)
    // Test binaries run in parallel (cargo-nextest, one process per test); tests that
    // start several node processes run one at a time (.config/nextest.toml).
    step(
        "tests",
        linted(cargo()).args([
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
            // The E2E test runs later, under Xvfb. It is filtered out rather than
            // `--exclude`d: the same package set keeps the same features, so nothing is
            // rebuilt.
            "-E",
            "not package(handoff-e2e)",
        ]),
    )?;
    // The Android check compiles while the browser and E2E tests (which mostly wait on
    // nodes and browsers) run, in a target folder of its own so it holds no lock they need.
    let mut android = AndroidCheck::start()?;
    step(
        "UI in Chromium against a real node (demo chain; desktop and phone size, English and Chinese)",
        Command::new("node")
            .current_dir(root())
            .arg("ui/tests/run.mjs")
            // The node under test is the `handoff` debug binary the build above made; it
            // serves the ui/dist built at the start.
            .env("HANDOFF_CLI", target_dir()?.join("debug").join("handoff")),
    )?;
    step(
        "Finance and Lender screens in Chromium (component test: the node's answers mocked; desktop and phone size, English and Chinese)",
        Command::new("node")
            .current_dir(root())
            .arg("ui/tests/finance.mjs"),
    )?;
    step(
        "consumer page in Chromium at phone size against real nodes (demo chain; English and Chinese; the fake camera reading a demo label; a tampering node)",
        Command::new("node")
            .current_dir(root())
            .arg("ui/tests/consumer.mjs")
            .env("HANDOFF_CLI", target_dir()?.join("debug").join("handoff")),
    )?;
    step(
        "the installable phone app in Chromium against a real node (pair, offline reload, a handoff queued offline then committed; English and Chinese)",
        Command::new("node")
            .current_dir(root())
            .arg("ui/tests/pwa.mjs")
            .env("HANDOFF_CLI", target_dir()?.join("debug").join("handoff")),
    )?;
    e2e()?;
    android.finish()?;
    if quick {
        eprintln!("    (fuzz smoke skipped: --quick)");
    } else {
        fuzz_smoke()?;
    }
    if long {
        long_simulation()?;
    }
    eprintln!("all checks passed in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// The long seeded simulation: `LONG_SIM_SEEDS` seeds in each of the four setups, in a
/// release build (the default test run keeps a short set, CI time being tight).
fn long_simulation() -> Result<()> {
    step(
        &format!("long simulation ({LONG_SIM_SEEDS} seeds in each of 4 setups, release)"),
        cargo()
            .args([
                "test",
                "--locked",
                "--release",
                "-p",
                "handoff-sim",
                "--test",
                "seeds",
                "--",
                "--ignored",
                "--exact",
                "long",
                "--nocapture",
            ])
            .env("HANDOFF_SIM_SEEDS", LONG_SIM_SEEDS.to_string()),
    )
}

/// Builds the UI (`ui/dist`) and the consumer page (`consumer/dist`): wasm32 release
/// builds, wasm-bindgen, hashed file names.
fn ui_build() -> Result<()> {
    let t = Instant::now();
    let (root, target) = (root(), target_dir()?);
    web::build(&root, &target, &web::STAFF_UI)?;
    web::build(&root, &target, &web::CONSUMER)?;
    eprintln!("    UI build: ok in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Builds the desktop app (with the UI bundled) and the CLI, release. (The test suite's
/// debug binaries come out of its own build.)
fn app_build() -> Result<(PathBuf, PathBuf)> {
    step(
        "desktop app build (release)",
        cargo().args([
            "build",
            "--locked",
            "--release",
            "-p",
            "handoff-app",
            "-p",
            "handoff-cli",
        ]),
    )?;
    let dir = target_dir()?.join("release");
    Ok((dir.join("handoff-app"), dir.join("handoff")))
}

/// The end-to-end test of the real app window: tauri-driver in front of WebKitWebDriver,
/// under Xvfb.
fn e2e() -> Result<()> {
    // The binaries of the test build (nextest built them for the app's and the command line's
    // process tests): no second build. They carry the test-only fault hooks that the test
    // build enables, inert unless their environment variables are set.
    let dir = target_dir()?.join("debug");
    let (app, cli) = (dir.join("handoff-app"), dir.join("handoff"));
    for b in [&app, &cli] {
        if !b.exists() {
            return Err(format!("{} was not built by the test build", b.display()));
        }
    }
    // cargo runs under xvfb-run with the test build's environment (linted, and not
    // incremental on CI), so it reuses that build: nothing is compiled again.
    let mut cmd = linted(Command::new("xvfb-run"));
    not_incremental_on_ci(&mut cmd);
    step(
        "end-to-end test of the real app window (Xvfb, tauri-driver)",
        cmd.current_dir(root())
            .args(["-a", "-s", "-screen 0 1280x800x24"])
            .arg(cargo_path())
            .args([
                "nextest",
                "run",
                "--workspace",
                "--locked",
                "--no-capture",
                "-E",
                "package(handoff-e2e)",
            ])
            .env("HANDOFF_APP", &app)
            .env("HANDOFF_CLI", &cli)
            .env("TAURI_DRIVER", tool_path("tauri-driver"))
            .env("HANDOFF_ARTIFACTS", root().join("test-artifacts")),
    )
}

fn target_dir() -> Result<PathBuf> {
    let meta = output(cargo().args(["metadata", "--format-version", "1", "--no-deps"]))
        .ok_or("cargo metadata failed")?;
    let dir =
        json_string(&meta, "target_directory").ok_or("no target_directory in cargo metadata")?;
    Ok(PathBuf::from(dir))
}

/// `cargo check` of the mobile app's library for Android (aarch64-linux-android), in the
/// background. No Android SDK or NDK can be fetched on these machines, so nothing is
/// linked: wry's and tauri's build scripts get the app's Android names as `cargo tauri
/// android` would give them, and C sources of dependencies (ring, aws-lc) compile to empty
/// objects through a stand-in compiler: the check covers Rust code for the target, which
/// is what `cfg(mobile)` and target-specific code can break. `mobile/README.md` says how
/// to build the APK where the SDK exists.
struct AndroidCheck {
    child: std::process::Child,
    log: PathBuf,
    started: Instant,
}

/// The stand-in C compiler for the Android check (see [`AndroidCheck`]).
const ANDROID_STUB_CC: &str = r#"#!/bin/sh
# Handoff's Android check: no NDK here and nothing is linked, so C objects are empty.
out=""; pre=0; prev=""
for a in "$@"; do
  case "$a" in -E) pre=1;; esac
  if [ "$prev" = "-o" ]; then out="$a"; fi
  case "$a" in -o*) [ "$a" != "-o" ] && out="${a#-o}";; -Fo*) out="${a#-Fo}";; esac
  prev="$a"
done
if [ "$pre" = 1 ]; then
  last=""; for a in "$@"; do last="$a"; done
  exec cc -E "$last"
fi
if [ -n "$out" ]; then exec cc -c -x c /dev/null -o "$out"; fi
exit 0
"#;

impl AndroidCheck {
    fn start() -> Result<AndroidCheck> {
        let target = target_dir()?;
        let dir = target.join("android-check");
        let kotlin = dir.join("kotlin");
        std::fs::create_dir_all(&kotlin).map_err(|e| format!("{}: {e}", kotlin.display()))?;
        let cc = dir.join("aarch64-linux-android-clang");
        std::fs::write(&cc, ANDROID_STUB_CC).map_err(|e| format!("{}: {e}", cc.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755))
                .map_err(|e| format!("{}: {e}", cc.display()))?;
        }
        let log = dir.join("check.log");
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        eprintln!("==> Android check of the app library started in the background");
        let child = cargo()
            .args([
                "check",
                "--locked",
                "--target",
                "aarch64-linux-android",
                "-p",
                "handoff-app",
                "--lib",
                // Nothing here runs: build scripts and proc macros unoptimised, no debug
                // information (measured cold: 2 min 34 s, against 7 min 28 s with the
                // dev profile's opt-level 2 for dependencies).
                "--config",
                "profile.dev.opt-level=0",
                "--config",
                "profile.dev.package.\"*\".opt-level=0",
                "--config",
                "profile.dev.debug=0",
            ])
            .env("CARGO_TARGET_DIR", dir.join("target"))
            .env("CC_aarch64_linux_android", &cc)
            .env("AR_aarch64_linux_android", "ar")
            .env("WRY_ANDROID_PACKAGE", "org.handoff.app")
            .env("WRY_ANDROID_LIBRARY", "handoff_app_lib")
            .env("WRY_ANDROID_KOTLIN_FILES_OUT_DIR", &kotlin)
            .env("TAURI_ANDROID_PACKAGE_NAME_APP_NAME", "app")
            .env("TAURI_ANDROID_PACKAGE_NAME_PREFIX", "org_handoff")
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start the Android check: {e}"))?;
        Ok(AndroidCheck {
            child,
            log,
            started: Instant::now(),
        })
    }

    fn finish(&mut self) -> Result<()> {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        let name = "Android check of the app library (cargo check --target aarch64-linux-android)";
        if !status.success() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            eprintln!(
                "==> {name}
{text}"
            );
            return Err(format!("step '{name}' failed ({status})"));
        }
        eprintln!(
            "    {name}: ok in {:.1} s (beside the browser and E2E tests)",
            self.started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

impl Drop for AndroidCheck {
    /// A failed step before the end stops the check too.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
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
        // Never linted: a clippy wrapper left in the caller's environment would lint the
        // fuzz crate with the workspace's rules and rebuild it.
        c.current_dir(&dir)
            .env("RUSTC_BOOTSTRAP", "1")
            .env_remove("RUSTC_WORKSPACE_WRAPPER")
            .env_remove("CLIPPY_ARGS")
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
    // A dev build (no optimisation; overflow checks and debug assertions on, as in
    // release fuzz builds): a smoke run of seconds per target finds what it finds either
    // way, and this build takes less than half the time of an optimised one on CI's two
    // cores. Long runs (`cargo fuzz run TARGET`) build optimised.
    step("fuzz build (dev)", &mut fuzz(&["build", "--dev"]))?;
    // A fuzzing process uses one core: the targets run side by side, one per core, each
    // one's output printed whole when it ends (so lanes do not interleave).
    let lanes = std::thread::available_parallelism().map_or(1, |n| n.get());
    let t0 = Instant::now();
    eprintln!(
        "==> fuzz smoke: {} targets, {FUZZ_SMOKE_SECONDS} s each, {lanes} at a time",
        targets.len()
    );
    let queue = std::sync::Mutex::new(targets.clone());
    let failed = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..lanes {
            s.spawn(|| {
                loop {
                    let Some(t) = queue.lock().ok().and_then(|mut q| q.pop()) else {
                        return;
                    };
                    if let Err(e) = fuzz_one(&dir, t, &fuzz)
                        && let Ok(mut f) = failed.lock()
                    {
                        f.push(e);
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap_or_default();
    if !failed.is_empty() {
        return Err(failed.join("; "));
    }
    eprintln!("    fuzz smoke: ok in {:.1} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// One fuzz target's smoke run on its corpus and seeds; its output is printed when it
/// ends.
fn fuzz_one(dir: &Path, t: &str, fuzz: &(dyn Fn(&[&str]) -> Command + Sync)) -> Result<()> {
    let name = format!("fuzz {t} ({FUZZ_SMOKE_SECONDS} s)");
    let t0 = Instant::now();
    let corpus = dir.join("corpus").join(t);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let seeds = dir.join("seeds").join(t);
    let mut cmd = fuzz(&["run", "--dev", t]);
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
    let out = cmd
        .output()
        .map_err(|e| format!("{name}: cannot start: {e}"))?;
    let text = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        eprintln!("==> {name}\n{text}");
        return Err(format!("step '{name}' failed ({})", out.status));
    }
    // The run's final statistics (libFuzzer prints them last).
    let stats: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("stat::") || l.starts_with("Done "))
        .collect();
    eprintln!(
        "    {name}: ok in {:.1} s ({})",
        t0.elapsed().as_secs_f64(),
        stats.join(", ")
    );
    Ok(())
}

fn handoff_bin() -> Result<PathBuf> {
    step(
        "build handoff (release)",
        cargo().args(["build", "--release", "--locked", "-p", "handoff-cli"]),
    )?;
    Ok(target_dir()?.join("release").join("handoff"))
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

/// Builds the UI and the desktop app (release) and launches it on the demo chain in
/// `.handoff-demo` (seeded on first run). Without a display it runs under Xvfb and says so.
fn run() -> Result<()> {
    setup()?;
    ui_build()?;
    let (app, cli) = app_build()?;
    let data = root().join(DEMO_DATA);
    if data.join("chain").exists() {
        eprintln!("ok   demo data in {}", data.display());
    } else {
        step(
            "seed the demo supply chain",
            Command::new(&cli).arg("--data").arg(&data).arg("demo"),
        )?;
    }
    eprintln!(
        "==> Handoff desktop app on the embedded demo chain in {}\n    the same folder works \
         from the command line: {} --data {} status",
        data.display(),
        cli.display(),
        data.display()
    );
    let mut cmd =
        if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some() {
            Command::new(&app)
        } else {
            eprintln!("    no display: running under Xvfb (xvfb-run -a)");
            let mut c = Command::new("xvfb-run");
            c.args(["-a", "-s", "-screen 0 1280x800x24"]).arg(&app);
            c
        };
    cmd.arg("--data")
        .arg(&data)
        .args(["--as", "Harbor Logistics"]);
    step("Handoff (close the window to stop)", &mut cmd)
}

/// A local shared chain (see the `network` module): four validators, and unless `no_apps` two
/// desktop apps running as light nodes.
fn shared_network(no_apps: bool) -> Result<()> {
    setup()?;
    if no_apps {
        let cli = handoff_bin()?;
        return network::run(&cli, None, &root());
    }
    ui_build()?;
    let (app, cli) = app_build()?;
    network::run(&cli, Some(&app), &root())
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

/// Cold start of the desktop app to its first interactive screen, ten fresh processes
/// under one Xvfb, timed from spawn to the UI's "ready" signal; and the UI bundle size.
fn bench_app() -> Result<()> {
    setup()?;
    ui_build()?;
    let (app, cli) = app_build()?;
    let data = target_dir()?.join("bench-app-data");
    if !data.join("chain").exists() {
        step(
            "seed the demo chain",
            Command::new(&cli)
                .arg("--data")
                .arg(&data)
                .args(["demo", "--quiet"]),
        )?;
    }
    let display = (90..110)
        .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
        .ok_or("no free X display number")?;
    let mut xvfb = Command::new("Xvfb")
        .arg(format!(":{display}"))
        .args(["-screen", "0", "1280x800x24", "-nolisten", "tcp"])
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("Xvfb: {e}"))?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    let mut times = Vec::new();
    let mut result = Ok(());
    for _ in 0..10 {
        match start_once(&app, &data, display) {
            Ok(ms) => times.push(ms),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    result?;
    times.sort_by(f64::total_cmp);
    let median = (times[4] + times[5]) / 2.0;
    let (raw, gz) = wasm_size()?;
    println!(
        "{{\"bench\":\"app\",\"cold_start_ms\":{times:?},\"cold_start_median_ms\":{median:.0},\
         \"ui_wasm_bytes\":{raw},\"ui_wasm_gzip_bytes\":{gz}}}"
    );
    Ok(())
}

fn start_once(app: &Path, data: &Path, display: u32) -> Result<f64> {
    use std::io::{BufRead, BufReader};
    let t0 = Instant::now();
    let mut child = Command::new(app)
        .arg("--data")
        .arg(data)
        .args(["--as", "Harbor Logistics"])
        .env("DISPLAY", format!(":{display}"))
        .env("HANDOFF_EXIT_WHEN_READY", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", app.display()))?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut ready = None;
    for line in BufReader::new(stderr).lines() {
        let Ok(line) = line else { break };
        if line.trim() == "HANDOFF_READY" {
            ready = Some(t0.elapsed().as_secs_f64() * 1000.0);
            break;
        }
        if t0.elapsed().as_secs() > 60 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    ready.ok_or_else(|| "the app never became interactive".to_string())
}

/// The UI's wasm, raw and gzipped (-9), from ui/dist.
fn wasm_size() -> Result<(u64, u64)> {
    let dist = root().join("ui").join("dist");
    let wasm = std::fs::read_dir(&dist)
        .map_err(|e| format!("{}: {e}", dist.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "wasm"))
        .ok_or("no wasm in ui/dist")?;
    let raw = std::fs::metadata(&wasm).map_err(|e| e.to_string())?.len();
    let gz = output(
        Command::new("sh")
            .arg("-c")
            .arg(format!("gzip -9c '{}' | wc -c", wasm.display())),
    )
    .and_then(|s| s.trim().parse().ok())
    .ok_or("gzip failed")?;
    Ok((raw, gz))
}
