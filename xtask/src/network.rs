//! `cargo xtask network`: a shared chain on this machine for demos. Four validator
//! processes (`handoff node run --validator`) on loopback TCP, and two desktop apps that
//! join them as light nodes, each acting as its own organization: the registry (a brand
//! owner that commissions and ships) and a warehouse that receives.
//!
//! Everything lives in `.handoff-network/` under the repository root and is reused on the
//! next run: `node0` … `node3` (validators), `registry` and `warehouse` (light folders).
//! `--no-apps` starts only the validators, for the command line.

use crate::{Result, json_string, output, step};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The chain's folder, under the repository root.
pub const NETWORK_DATA: &str = ".handoff-network";
/// The validators listen on these loopback ports.
const PORTS: [u16; 4] = [47400, 47401, 47402, 47403];
/// The demo product (GS1 company prefix 0614141 belongs to the registry).
const GTIN: &str = "00614141000012";
/// The light apps: (folder, identity, role given when the registry admits it).
const LIGHT_APPS: [(&str, &str, Option<&str>); 2] = [
    ("registry", "Registry", None),
    ("warehouse", "Harbor Warehouse", Some("warehouse")),
];

fn addr(port: u16) -> String {
    format!("/ip4/127.0.0.1/tcp/{port}")
}

/// Child processes stopped when this run ends, however it ends.
struct Procs(Vec<(String, Child)>);

impl Drop for Procs {
    fn drop(&mut self) {
        for (name, c) in &mut self.0 {
            // SIGTERM first: a validator syncs its store and consensus log on the way out.
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = c.try_wait() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            let _ = c.kill();
            let _ = c.wait();
            eprintln!("    stopped {name}");
        }
    }
}

/// `handoff --json --data DIR ARGS…`, its stdout, or the step's error.
fn handoff(cli: &Path, data: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new(cli)
        .arg("--json")
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", cli.display()))?;
    if !out.status.success() {
        return Err(format!(
            "handoff {} failed: {}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Starts validator `i` and waits for its ready line.
fn start_validator(cli: &Path, dir: &Path, i: usize) -> Result<Child> {
    let data = dir.join(format!("node{i}"));
    let log = std::fs::File::create(dir.join(format!("node{i}.log")))
        .map_err(|e| format!("cannot write the log of node {i}: {e}"))?;
    let mut cmd = Command::new(cli);
    cmd.arg("--data")
        .arg(&data)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(addr(PORTS[i]));
    for (j, p) in PORTS.iter().enumerate() {
        if j != i {
            cmd.arg("--peer").arg(addr(*p));
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .map_err(|e| format!("cannot start node {i}: {e}"))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = BufReader::new(out).read_line(&mut line);
    }
    if !line.contains("\"ready\":true") {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!(
            "node {i} did not start (port {} busy?); see {}",
            PORTS[i],
            dir.join(format!("node{i}.log")).display()
        ));
    }
    eprintln!("    node {i} validating on {}", addr(PORTS[i]));
    Ok(child)
}

/// The chain's folders, made on the first run: the validators' shared genesis, a product,
/// a few items and the two light folders.
fn create(cli: &Path, dir: &Path) -> Result<()> {
    step(
        "create a four-validator chain",
        Command::new(cli).arg("--data").arg(dir).args([
            "testnet",
            "--validators",
            "4",
            "--org",
            "Registry",
            "--prefix",
            "0614141",
        ]),
    )
}

/// Seeds the chain through node 0 (its running node commits through consensus) and
/// makes the light folders.
fn seed(cli: &Path, dir: &Path) -> Result<()> {
    let n0 = dir.join("node0");
    handoff(
        cli,
        &n0,
        &[
            "--as",
            "Registry",
            "product",
            "define",
            "--gtin",
            GTIN,
            "--name",
            "Harbor Blend coffee, 1 kg",
        ],
    )?;
    let items: Vec<String> = (1..=6)
        .map(|i| format!("(01){GTIN}(21)NET{i:03}"))
        .collect();
    let mut args = vec!["--as", "Registry", "item", "commission"];
    args.extend(items.iter().map(String::as_str));
    handoff(cli, &n0, &args)?;
    for (_, name, role) in LIGHT_APPS {
        if let Some(role) = role {
            handoff(cli, &n0, &["org", "add", name, "--role", role])?;
        }
    }
    let g = handoff(cli, &n0, &["genesis"])?;
    let hex = json_string(&g, "genesis").ok_or("node 0 printed no genesis")?;
    for (folder, name, _) in LIGHT_APPS {
        let light = dir.join(folder);
        handoff(
            cli,
            &light,
            &[
                "--as",
                name,
                "light",
                "init",
                "--genesis",
                &hex,
                "--org-key-from",
                &n0.display().to_string(),
            ],
        )?;
    }
    eprintln!(
        "    seeded: product {GTIN}, items {} … {}",
        items[0],
        items[items.len() - 1]
    );
    Ok(())
}

/// Runs the network; with `apps`, launches the two light apps and stops everything when
/// both windows are closed, otherwise runs the validators until interrupted.
pub fn run(cli: &Path, app: Option<&Path>, root: &Path) -> Result<()> {
    let dir: PathBuf = root.join(NETWORK_DATA);
    let fresh = !dir.join("node0").exists();
    if fresh {
        create(cli, &dir)?;
    }
    let mut procs = Procs(Vec::new());
    for i in 0..PORTS.len() {
        procs
            .0
            .push((format!("node {i}"), start_validator(cli, &dir, i)?));
    }
    if fresh || !dir.join(LIGHT_APPS[1].0).join("light").exists() {
        step_fn("seed the chain and make the light folders", || {
            seed(cli, &dir)
        })?;
    }
    eprintln!(
        "==> four validators on {} … {}\n    the command line works on any node folder, e.g. \
         {} --data {} status",
        addr(PORTS[0]),
        addr(PORTS[3]),
        cli.display(),
        dir.join("node0").display()
    );
    let Some(app) = app else {
        eprintln!("    press Ctrl-C to stop");
        for (_, c) in &mut procs.0 {
            let _ = c.wait();
        }
        return Ok(());
    };
    let headless =
        std::env::var_os("DISPLAY").is_none() && std::env::var_os("WAYLAND_DISPLAY").is_none();
    let mut apps = Vec::new();
    for (folder, name, _) in LIGHT_APPS {
        let mut cmd = if headless {
            let mut c = Command::new("xvfb-run");
            c.args(["-a", "-s", "-screen 0 1280x800x24"]).arg(app);
            c
        } else {
            Command::new(app)
        };
        cmd.arg("--data").arg(dir.join(folder)).args(["--as", name]);
        for p in PORTS {
            cmd.arg("--peer").arg(addr(p));
        }
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start the app for {name}: {e}"))?;
        eprintln!("    light app for {name} on {}", dir.join(folder).display());
        apps.push(child);
    }
    if headless {
        eprintln!("    no display: the apps run under Xvfb (xvfb-run -a)");
    }
    eprintln!("==> close both windows to stop the network");
    for mut a in apps {
        let _ = a.wait();
    }
    drop(procs);
    if let Some(h) = output(
        Command::new(cli)
            .arg("--data")
            .arg(dir.join("node0"))
            .arg("status"),
    ) {
        eprintln!("{}", h.trim());
    }
    Ok(())
}

fn step_fn(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let t = std::time::Instant::now();
    eprintln!("==> {name}");
    f().map_err(|e| format!("step '{name}' failed: {e}"))?;
    eprintln!("    {name}: ok in {:.1} s", t.elapsed().as_secs_f64());
    Ok(())
}
