//! What the multi-process tests share: running the `handoff` binary with a time limit,
//! and a local network of validator processes on loopback TCP.
#![allow(dead_code)]

pub mod light;

use handoff_core::gs1::check_digit;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_handoff")
}

/// Runs a command; one that has not finished in two minutes is killed (and fails).
pub fn handoff(data: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut child = Command::new(bin())
        .arg("--data")
        .arg(data)
        .arg("--json")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run handoff");
    // Read while it runs: a large report would fill the pipe and stall it otherwise.
    let drain = |r: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut out);
            }
            out
        })
    };
    let stdout = drain(child.stdout.take().map(|r| Box::new(r) as _));
    let stderr = drain(child.stderr.take().map(|r| Box::new(r) as _));
    let t = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("{args:?} did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = String::from_utf8_lossy(&stdout.join().expect("stdout")).to_string();
    let stderr = String::from_utf8_lossy(&stderr.join().expect("stderr")).to_string();
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {stdout}"));
    (status.code().unwrap_or(-1), json, stderr)
}

pub fn ok(data: &Path, args: &[&str]) -> Value {
    let (code, json, stderr) = handoff(data, args);
    assert_eq!(code, 0, "{args:?} failed: {json} {stderr}");
    json
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Spawns a `handoff` process that prints one ready JSON line on stdout, logging its
/// stderr to `log`, and waits for that line.
pub fn spawn_ready(cmd: &mut Command, log: std::fs::File, what: &str) -> Child {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("ready line");
    let ready: Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("{what} did not start ({e}): {line}"));
    assert_eq!(ready["ready"], true, "{ready}");
    child
}

pub struct Cluster {
    pub root: PathBuf,
    pub ports: Vec<u16>,
    pub procs: Vec<Option<Child>>,
}

impl Cluster {
    /// `handoff testnet` with four validators (org Registry, prefix 0614141) under `root`,
    /// not started yet; also what the command printed.
    pub fn testnet(root: &Path) -> (Cluster, Value) {
        let made = ok(
            root,
            &[
                "testnet",
                "--validators",
                "4",
                "--org",
                "Registry",
                "--prefix",
                "0614141",
            ],
        );
        let c = Cluster {
            root: root.to_path_buf(),
            ports: (0..4).map(|_| free_port()).collect(),
            procs: (0..4).map(|_| None).collect(),
        };
        (c, made)
    }

    pub fn dir(&self, i: usize) -> PathBuf {
        self.root.join(format!("node{i}"))
    }

    pub fn start(&mut self, i: usize) {
        self.start_with(i, &[]);
    }

    pub fn start_with(&mut self, i: usize, env: &[(&str, &str)]) {
        let mut cmd = Command::new(bin());
        cmd.envs(env.iter().copied());
        cmd.arg("--data")
            .arg(self.dir(i))
            .args(["node", "run", "--validator", "--no-mdns", "--listen"])
            .arg(format!("/ip4/127.0.0.1/tcp/{}", self.ports[i]));
        for (j, p) in self.ports.iter().enumerate() {
            if j != i {
                cmd.arg("--peer").arg(format!("/ip4/127.0.0.1/tcp/{p}"));
            }
        }
        let log = std::fs::File::create(self.root.join(format!("node{i}.log"))).expect("log");
        let child = spawn_ready(&mut cmd, log, &format!("node {i}"));
        self.procs[i] = Some(child);
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.procs[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn height(&self, i: usize) -> u64 {
        let (code, j, _) = handoff(&self.dir(i), &["status"]);
        if code != 0 {
            return 0;
        }
        j["height"].as_u64().unwrap_or(0)
    }

    pub fn wait_height(&self, i: usize, h: u64, limit: Duration) {
        let t = Instant::now();
        while self.height(i) < h {
            assert!(
                t.elapsed() < limit,
                "node {i} stayed at height {} below {h}; see {}",
                self.height(i),
                self.root.display()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.procs.len() {
            self.kill(i);
        }
        if std::thread::panicking() {
            for i in 0..self.procs.len() {
                let log = std::fs::read_to_string(self.root.join(format!("node{i}.log")))
                    .unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                eprintln!(
                    "--- node {i} log (last lines, newest first) ---\n{}",
                    tail.join("\n")
                );
            }
        }
    }
}

/// `GET /v1/node` of node `i`'s HTTP API (the address and the token are in its
/// `node.json`): height, peers, proposals, store faults.
pub fn node_status(c: &Cluster, i: usize) -> Value {
    use std::io::{Read, Write};
    let f: Value =
        serde_json::from_slice(&std::fs::read(c.dir(i).join("node.json")).expect("node.json"))
            .expect("node.json is JSON");
    let addr = f["http"].as_str().expect("http address");
    let token = f["token"].as_str().expect("token");
    let mut s = std::net::TcpStream::connect(addr).expect("connect to the node");
    write!(
        s,
        "GET /v1/node HTTP/1.0\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n"
    )
    .expect("request");
    let mut body = String::new();
    s.read_to_string(&mut body).expect("response");
    let json = body.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(json).unwrap_or_else(|e| panic!("status is not JSON ({e}): {body}"))
}

pub fn gtin(digits13: &str) -> String {
    format!("{digits13}{}", check_digit(digits13).expect("digits"))
}

/// The item as node `i` shows it, with its proof checked there.
pub fn item_at(c: &Cluster, i: usize, scan: &str) -> Value {
    let j = ok(&c.dir(i), &["item", "show", scan, "--proof"]);
    assert_eq!(j["proof"]["verified"], true, "node {i}: {j}");
    assert_eq!(j["proof"]["certified"], true, "node {i}: {j}");
    j
}
