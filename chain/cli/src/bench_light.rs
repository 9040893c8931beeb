//! `handoff bench light`: how fast a light node syncs certified headers from a full node,
//! and how much memory it holds after a day's worth of blocks.
//!
//! A child process builds a chain of empty blocks, each certified by all four validators
//! of its genesis (one block a second of chain time, so 86,400 blocks are a day), in a
//! folder under `/dev/shm` when there is one. A full node (`handoff node run`, not
//! voting) serves it on loopback; this process runs only the light node, which syncs
//! every header from genesis, checking each certificate and parent hash, and storing it
//! in its sled store. The rate is timed for the first `--headers` headers; memory is this
//! process's resident set once the whole day is synced.

use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_core::block::{BLOCK_VERSION, Block, BlockHeader, Certificate, Genesis, tx_root};
use handoff_core::crypto::Keypair;
use handoff_core::tx::AdmitOrg;
use handoff_core::types::{Role, sha256};
use handoff_node::ledger::{Ledger, now_ms};
use handoff_node::light::{LightOptions, LightStore, Running};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Options of `bench light`.
#[derive(Args, Debug)]
pub struct LightBenchArgs {
    /// Headers whose sync is timed.
    #[arg(long, default_value_t = 10_000)]
    pub headers: u64,
    /// Blocks in the chain (86,400: a day of one-second blocks).
    #[arg(long, default_value_t = 86_400)]
    pub blocks: u64,
    /// Build the chain in this folder and exit (the bench runs this in a child process).
    #[arg(long, hide = true)]
    pub build_chain: Option<PathBuf>,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

fn key(i: u64) -> Keypair {
    Keypair::from_secret(sha256(&[b"HANDOFF/BENCH/LIGHT\0", &i.to_be_bytes()]).0)
}

fn genesis() -> Genesis {
    Genesis {
        name: "light bench".into(),
        time_ms: 1_790_000_000_000,
        validators: (0..4).map(|i| key(i).public()).collect(),
        orgs: vec![AdmitOrg {
            org: key(9).public(),
            name: "Registry".into(),
            prefixes: vec![],
            glns: vec![],
            roles: vec![Role::Registrar],
        }],
    }
}

/// Builds `blocks` empty blocks certified by all four validators.
fn build_chain(dir: &Path, blocks: u64) -> Result<Value> {
    let g = genesis();
    handoff_node::identity::save_validator(dir, &key(0), now_ms())?;
    let ledger = Ledger::create(dir, &g, key(0))?;
    let store = &ledger.store;
    let keys: Vec<Keypair> = (0..4).map(key).collect();
    let t = Instant::now();
    for h in 1..=blocks {
        let last = store.last_header()?;
        let prepared = store.prepare(h, &[])?;
        let header = BlockHeader {
            version: BLOCK_VERSION,
            chain_id: g.chain_id(),
            height: h,
            prev_hash: last.hash(),
            time_ms: last.time_ms + 1000,
            proposer: keys[(h % 4) as usize].public(),
            tx_count: 0,
            tx_root: tx_root(&[]),
            state_root: prepared.root,
        };
        let certificate = Certificate {
            round: 0,
            sigs: keys
                .iter()
                .map(|k| Certificate::sign(k, &header, 0))
                .collect(),
        };
        let block = Block {
            header,
            certificate,
            txs: vec![],
            outcomes: vec![],
        };
        store.commit(&block, prepared, &[], &[])?;
    }
    store.flush()?;
    Ok(json!({"blocks": blocks, "seconds": t.elapsed().as_secs_f64()}))
}

fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

struct Kill(Option<Child>);
impl Drop for Kill {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs the bench.
pub fn run(a: LightBenchArgs) -> Result<Value> {
    if let Some(dir) = &a.build_chain {
        return build_chain(dir, a.blocks);
    }
    if a.headers == 0 || a.blocks < a.headers {
        bail!("--headers must be positive and at most --blocks");
    }
    let say = |m: &str| {
        if !a.quiet {
            eprintln!("{m}");
        }
    };
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let tmp = tempfile::Builder::new()
        .prefix("handoff-light-bench")
        .tempdir_in(base)?;
    let chain = tmp.path().join("full");
    std::fs::create_dir_all(&chain)?;
    let exe = std::env::current_exe().context("cannot find the handoff binary")?;
    say(&format!("building {} certified blocks", a.blocks));
    let built = Command::new(&exe)
        .args(["--json", "bench", "light", "--blocks"])
        .arg(a.blocks.to_string())
        .arg("--build-chain")
        .arg(&chain)
        .output()?;
    if !built.status.success() {
        bail!(
            "building the chain failed: {}",
            String::from_utf8_lossy(&built.stdout)
        );
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("/ip4/127.0.0.1/tcp/{port}");
    let mut child = Command::new(&exe)
        .arg("--data")
        .arg(&chain)
        .args(["node", "run", "--no-mdns", "--listen", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let out = child.stdout.take().context("full node stdout")?;
    let _full = Kill(Some(child));
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    if !line.contains("\"ready\":true") {
        bail!("the full node did not start: {line}");
    }
    say("full node up; syncing the light node from genesis");

    let light_dir = tmp.path().join("light");
    let store = Arc::new(LightStore::create(&light_dir, &genesis())?);
    let rss_before = rss_kib("VmRSS:");
    let t0 = Instant::now();
    let running = Running::start(
        store.clone(),
        None,
        LightOptions {
            peers: vec![addr.parse()?],
            mdns: false,
            max_inflight: 1,
            pump: false,
        },
        Arc::new(|| {}),
    )?;
    let mut first: Option<f64> = None;
    let limit = Duration::from_secs(1800);
    loop {
        let tip = store.tip()?;
        if first.is_none() && tip >= a.headers {
            first = Some(t0.elapsed().as_secs_f64());
        }
        if tip >= a.blocks {
            break;
        }
        if t0.elapsed() > limit {
            bail!(
                "the light node reached {tip} of {} headers in 30 minutes",
                a.blocks
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let all = t0.elapsed().as_secs_f64();
    let rss = rss_kib("VmRSS:");
    let hwm = rss_kib("VmHWM:");
    running.shutdown();
    let first = first.unwrap_or(all);
    Ok(json!({
        "headers": a.headers,
        "headers_sync_s": (first * 1000.0).round() / 1000.0,
        "headers_per_s": (a.headers as f64 / first).round(),
        "day_blocks": a.blocks,
        "day_sync_s": (all * 1000.0).round() / 1000.0,
        "light_rss_mb_after_day": (rss as f64 / 1024.0 * 10.0).round() / 10.0,
        "light_peak_rss_mb": (hwm as f64 / 1024.0 * 10.0).round() / 10.0,
        "process_rss_mb_before_light": (rss_before as f64 / 1024.0 * 10.0).round() / 10.0,
        "validators": 4,
        "chain_build": serde_json::from_slice::<Value>(&built.stdout).unwrap_or(Value::Null),
        "machine": crate::bench::machine(),
    }))
}
