//! Crash safety: a `handoff` process committing handoffs is killed with SIGKILL at random
//! moments, again and again. Every transaction it acknowledged must be in the chain after
//! each restart, the store must reopen, and its state root must equal the root obtained by
//! replaying every block into an empty store.

use handoff_core::tx::SignedTx;
use handoff_core::types::Hash32;
use handoff_store::{Store, replay_block};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const KILLS: usize = 24;

fn handoff(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_handoff"));
    c.arg("--data").arg(data);
    c
}

/// A small deterministic generator, so a failing run can be repeated.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// Runs the load until `acks_wanted` acknowledgements arrived plus a random delay, then
/// kills it. Returns the acknowledged ids.
fn run_and_kill(data: &Path, rng: &mut Lcg) -> Vec<Hash32> {
    let mut child = handoff(data)
        .args(["load", "--items", "8"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn load");
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
    let mut acked = Vec::new();
    let wanted = 3 + rng.next(40) as usize;
    let deadline = Instant::now() + Duration::from_secs(60);
    while acked.len() < wanted && Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => acked.extend(parse_ack(&line)),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut e) = child.stderr.take() {
                        let _ = std::io::Read::read_to_string(&mut e, &mut err);
                    }
                    panic!("load exited early with {status}: {err}");
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    assert!(
        acked.len() >= wanted,
        "load made too little progress: {} acks",
        acked.len()
    );
    // Kill somewhere inside the next commits: mid-apply, mid-flush or between blocks.
    std::thread::sleep(Duration::from_micros(rng.next(30_000)));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    // Lines already written before the kill were acknowledged too.
    let _ = reader.join();
    while let Ok(line) = rx.try_recv() {
        acked.extend(parse_ack(&line));
    }
    acked
}

fn parse_ack(line: &str) -> Option<Hash32> {
    let mut parts = line.split_whitespace();
    (parts.next() == Some("ACK")).then_some(())?;
    Hash32::from_hex(parts.next()?)
}

#[cfg(unix)]
#[test]
fn sigkill_during_commits_loses_no_acknowledged_transaction() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("node");
    let st = handoff(&data)
        .args([
            "init",
            "--org",
            "Crash Test Roasters",
            "--prefix",
            "0614141",
        ])
        .output()
        .expect("init");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );

    let mut rng = Lcg(0x0048_414e_444f_4646);
    let mut all_acked: Vec<Hash32> = Vec::new();
    for kill in 0..KILLS {
        let acked = run_and_kill(&data, &mut rng);
        all_acked.extend(acked);
        // The folder reopens and a command works on it right after the crash.
        let status = handoff(&data)
            .args(["--json", "status"])
            .output()
            .expect("status");
        assert!(
            status.status.success(),
            "kill {kill}: status failed: {}",
            String::from_utf8_lossy(&status.stderr)
        );
    }

    let store = Store::open(&data.join("chain")).expect("open after crashes");
    store.check_head().expect("head is whole");
    // Every transaction in a committed block, by id.
    let head = store.last_header().expect("header");
    let mut committed = std::collections::HashSet::new();
    for h in 1..=head.height {
        let block = store.block(h).expect("read").expect("block");
        for w in &block.txs {
            committed.insert(SignedTx::decode(w).expect("committed tx decodes").id());
        }
    }
    for id in &all_acked {
        assert!(
            committed.contains(id),
            "acknowledged transaction {} is missing",
            id.to_hex()
        );
    }
    assert!(
        head.height as usize > KILLS,
        "too few blocks: {}",
        head.height
    );

    // Replay every block into an empty store: same state root at every height.
    let genesis = store.genesis().expect("genesis");
    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let fresh = Store::open(fresh_dir.path()).expect("fresh store");
    let g = store.block(0).expect("read").expect("genesis block");
    fresh.init(&genesis, g.header.proposer).expect("init");
    for h in 1..=head.height {
        let block = store.block(h).expect("read").expect("block");
        replay_block(&fresh, &block).unwrap_or_else(|e| panic!("replay of block {h} failed: {e}"));
        assert_eq!(
            fresh.tree_root(h).expect("root"),
            block.header.state_root,
            "root differs at height {h}"
        );
    }
    assert_eq!(
        fresh.last_header().expect("header").state_root,
        head.state_root
    );
    eprintln!(
        "{KILLS} kills, {} acknowledged transactions, {} blocks",
        all_acked.len(),
        head.height
    );
}
