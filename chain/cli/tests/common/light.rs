//! A light node run by the multi-process tests: `handoff light init` from a full node's
//! folder, `handoff light run --http` with chosen peers, and its typed HTTP client.

use super::{bin, ok, spawn_ready};
use handoff_http::Client;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A light folder and its running `handoff light run`, if any.
pub struct Light {
    pub dir: PathBuf,
    pub log: PathBuf,
    pub child: Option<Child>,
}

impl Light {
    /// `handoff light init` of `org`'s key from node 0's folder.
    pub fn init(root: &Path, name: &str, org: &str, genesis: &str, n0: &Path) -> Light {
        let dir = root.join(name);
        ok(
            &dir,
            &[
                "--as",
                org,
                "light",
                "init",
                "--genesis",
                genesis,
                "--org-key-from",
                n0.to_str().expect("path"),
            ],
        );
        Light {
            log: root.join(format!("{name}.log")),
            dir,
            child: None,
        }
    }

    /// `light run --http` with these peers; the typed client of its API.
    pub fn start(&mut self, ports: &[u16]) -> Client {
        let _ = std::fs::remove_file(self.dir.join("light.json"));
        let mut cmd = Command::new(bin());
        cmd.arg("--data").arg(&self.dir).args([
            "light",
            "run",
            "--no-mdns",
            "--http",
            "127.0.0.1:0",
        ]);
        for p in ports {
            cmd.arg("--peer").arg(format!("/ip4/127.0.0.1/tcp/{p}"));
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log");
        self.child = Some(spawn_ready(&mut cmd, log, "light node"));
        let file: Value = serde_json::from_slice(
            &std::fs::read(self.dir.join("light.json")).expect("light.json"),
        )
        .expect("light.json is JSON");
        let base = format!("http://{}", file["http"].as_str().expect("http"));
        Client::new(&base, Some(file["token"].as_str().expect("token")))
    }

    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(c.id().to_string())
                .status();
            let t = Instant::now();
            while c.try_wait().expect("wait").is_none() {
                if t.elapsed() > Duration::from_secs(20) {
                    let _ = c.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = c.wait();
        }
    }
}

impl Drop for Light {
    fn drop(&mut self) {
        if let Some(c) = self.child.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!(
                "--- {} log (newest first) ---\n{}",
                self.dir.display(),
                tail.join("\n")
            );
        }
    }
}

/// Polls `f` until it gives a value; fails after `limit`.
pub fn wait_for<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let t = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}
