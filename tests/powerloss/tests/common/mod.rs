//! The crash rig shared by the power-loss tests: a power-loss disk in a temporary folder,
//! a driver process writing to it, and a power cut at a seeded random moment while the
//! driver is committing.

#![allow(dead_code)]

use handoff_powerloss::{Disk, Dropped};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// SplitMix64: a small seeded generator, so a failing run can be repeated.
pub struct Rng(u64);

impl Rng {
    /// The seed from `HANDOFF_POWERLOSS_SEED`, else `default`; printed either way.
    pub fn seeded(test: &str, default: u64) -> Rng {
        let seed = std::env::var("HANDOFF_POWERLOSS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default);
        eprintln!(
            "{test}: seed {seed} (repeat with HANDOFF_POWERLOSS_SEED={seed} cargo test -p handoff-powerloss --test crashes {test} -- --nocapture)"
        );
        Rng(seed)
    }

    /// A number below `bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) % bound.max(1)
    }
}

/// A power-loss disk that can be cut and brought back.
pub struct Rig {
    _dir: tempfile::TempDir,
    backing: PathBuf,
    mountpoint: PathBuf,
    disk: Option<Disk>,
    /// Everything the cuts dropped, summed.
    pub dropped: Dropped,
    /// Cuts so far.
    pub cuts: usize,
}

impl Rig {
    /// Prints what the cuts did (`what`: what the test saw acknowledged) and fails the test
    /// when no cut dropped an unsynced write: then it could not have failed.
    pub fn report(&self, what: &str) {
        eprintln!(
            "{} cuts, {what}; the cuts dropped {:?}",
            self.cuts, self.dropped
        );
        assert!(
            self.dropped.pages > 0,
            "no cut dropped an unsynced write, so this test could not have failed"
        );
    }

    /// A fresh, empty disk, mounted. Fails loudly when FUSE cannot be used.
    pub fn new() -> Rig {
        let dir = tempfile::tempdir().expect("tempdir");
        let backing = dir.path().join("disk");
        let mountpoint = dir.path().join("mnt");
        let disk = Disk::mount(&backing, &mountpoint).unwrap_or_else(|e| panic!("{e}"));
        Rig {
            _dir: dir,
            backing,
            mountpoint,
            disk: Some(disk),
            dropped: Dropped::default(),
            cuts: 0,
        }
    }

    /// The mounted disk.
    pub fn disk(&self) -> &Disk {
        self.disk.as_ref().expect("mounted")
    }

    /// A path on the mounted disk.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.mountpoint.join(rel)
    }

    /// The backing folder: the disk as it is after the last power cut (while unmounted).
    pub fn backing(&self) -> &Path {
        &self.backing
    }

    /// Runs `cmd` (a driver writing to the disk) until it printed `acks` lines starting
    /// with `ACK`, then waits a random moment (so the cut lands inside a later commit),
    /// cuts the power, kills the driver and brings the disk back: unmounted with only what
    /// was synced, mounted again. Returns every line the driver printed before it died.
    pub fn run_and_cut(&mut self, cmd: Command, acks: usize, rng: &mut Rng) -> Vec<String> {
        self.run_and_cut_with(cmd, acks, rng, Vec::new())
    }

    /// [`Rig::run_and_cut`], also killing `others` (processes the driver talks to, such as
    /// a node) right after the cut.
    pub fn run_and_cut_with(
        &mut self,
        mut cmd: Command,
        acks: usize,
        rng: &mut Rng,
        others: Vec<Child>,
    ) -> Vec<String> {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn driver");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut lines = Vec::new();
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while seen < acks {
            assert!(
                Instant::now() < deadline,
                "the driver made too little progress: {seen} acknowledgements in 60 s"
            );
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    seen += usize::from(line.starts_with("ACK "));
                    lines.push(line);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        panic!(
                            "the driver exited early with {status}: {}",
                            stderr(&mut child)
                        );
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = child.wait();
                    panic!("the driver closed its output: {}", stderr(&mut child));
                }
            }
        }
        // Somewhere inside the next commits: mid-write, mid-sync or between them.
        std::thread::sleep(Duration::from_micros(rng.below(25_000)));
        let dropped = self.disk().power_cut();
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        for mut other in others {
            let _ = other.kill();
            let _ = other.wait();
        }
        let _ = reader.join();
        lines.extend(rx.try_iter());
        self.cuts += 1;
        self.dropped.files += dropped.files;
        self.dropped.pages += dropped.pages;
        self.dropped.dirs += dropped.dirs;
        self.remount();
        lines
    }

    /// Unmounts (after a cut: keeping only what was synced) and mounts the disk again.
    pub fn remount(&mut self) {
        self.unmount();
        self.disk =
            Some(Disk::mount(&self.backing, &self.mountpoint).unwrap_or_else(|e| panic!("{e}")));
    }

    /// Unmounts the disk; its state is then the backing folder's.
    pub fn unmount(&mut self) {
        if let Some(d) = self.disk.take() {
            d.unmount().unwrap_or_else(|e| panic!("unmount: {e}"));
        }
    }
}

fn stderr(child: &mut Child) -> String {
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    err
}

/// The driver binary.
pub fn driver() -> Command {
    Command::new(env!("CARGO_BIN_EXE_powerloss-driver"))
}

/// Runs the driver's `handoff` command line to completion; panics with its output if it
/// fails.
pub fn handoff(args: &[&str]) -> String {
    let out = driver()
        .arg("handoff")
        .args(args)
        .output()
        .expect("run driver");
    assert!(
        out.status.success(),
        "handoff {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Starts `handoff node run --validator` on `data` (through the driver) and waits for its
/// ready line; panics with its error output if it does not come up within a minute.
pub fn start_node(data: &Path) -> Child {
    let mut child = driver()
        .arg("handoff")
        .arg("--data")
        .arg(data)
        .args([
            "node",
            "run",
            "--validator",
            "--no-mdns",
            "--listen",
            "/ip4/127.0.0.1/tcp/0",
            "--http",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        while let Some(Ok(line)) = lines.next() {
            if line.contains("\"ready\":true") {
                let _ = tx.send(());
            }
        }
    });
    if rx.recv_timeout(Duration::from_secs(60)).is_err() {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "the node did not start after the power cut: {}",
            stderr(&mut child)
        );
    }
    child
}
