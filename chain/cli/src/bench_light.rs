//! `handoff bench light`: how fast a light node syncs certified headers from a full node,
//! and how much memory it holds after a day's worth of blocks; what a light node
//! following its own org downloads in a day when the org is touched by 1% of the
//! transactions, and its memory after that day; and how long its stock answer takes
//! from its own index for an org holding 100,000 items; and what the outbox costs the
//! node's every step once 100,000 of its entries are final. Each part runs in its own
//! process (`--part headers|follow|stock|outbox`), so each resident set is its own.
//!
//! **Headers.**
//! A child process builds a chain of empty blocks, each certified by all four validators
//! of its genesis (one block a second of chain time, so 86,400 blocks are a day), in a
//! folder under `/dev/shm` when there is one. A full node (`handoff node run`, not
//! voting) serves it on loopback; this process runs only the light node, which syncs
//! every header from genesis, checking each certificate and parent hash, and storing it
//! in its sled store. The rate is timed for the first `--headers` headers; memory is this
//! process's resident set once the whole day is synced.

use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_api::StockRequest;
use handoff_core::block::{BLOCK_VERSION, Block, BlockHeader, Certificate, Genesis, tx_root};
use handoff_core::crypto::Keypair;
use handoff_core::gs1::Gs1Key;
use handoff_core::state::{StateKey, StateRead};
use handoff_core::tx::{AdmitOrg, Commission, Entry, Payload, ProposeHandoff, SignedTx, Transfer};
use handoff_core::types::{Role, sha256};
use handoff_node::ledger::{Ledger, now_ms};
use handoff_node::light::IndexedBlock;
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
    /// One part only: `headers`, `follow`, `stock` or `outbox` (default: each, in its own
    /// process).
    #[arg(long)]
    pub part: Option<String>,
    /// Blocks of the followed day (one transaction each; 1 in 100 concerns the org).
    #[arg(long, default_value_t = 86_400)]
    pub follow_blocks: u64,
    /// Items the org holds for the stock query.
    #[arg(long, default_value_t = 100_000)]
    pub stock_items: u64,
    /// Stock queries timed.
    #[arg(long, default_value_t = 200)]
    pub stock_samples: usize,
    /// Final (committed) entries in the outbox of the outbox part.
    #[arg(long, default_value_t = 100_000)]
    pub outbox_final: u64,
    /// Build the followed day's chain in this folder and exit (run in a child process).
    #[arg(long, hide = true)]
    pub build_follow_chain: Option<PathBuf>,
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
            concerns_root: handoff_core::concerns::Concerns::default().root(),
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
            concerns: Default::default(),
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

/// Runs the bench: every part in a child process of its own, or the one `--part`.
pub fn run(a: LightBenchArgs) -> Result<Value> {
    if let Some(dir) = &a.build_chain {
        return build_chain(dir, a.blocks);
    }
    if let Some(dir) = &a.build_follow_chain {
        return build_follow_chain(dir, a.follow_blocks);
    }
    match a.part.as_deref() {
        Some("headers") => headers(a),
        Some("follow") => follow(a),
        Some("stock") => stock(a),
        Some("outbox") => outbox(a),
        Some(p) => bail!("no part {p}: headers, follow, stock or outbox"),
        None => {
            let exe = std::env::current_exe().context("cannot find the handoff binary")?;
            let mut out = serde_json::Map::new();
            for part in ["headers", "follow", "stock", "outbox"] {
                if !a.quiet {
                    eprintln!("== part {part}");
                }
                let mut cmd = Command::new(&exe);
                cmd.args(["--json", "bench", "light", "--part", part])
                    .args(["--headers", &a.headers.to_string()])
                    .args(["--blocks", &a.blocks.to_string()])
                    .args(["--follow-blocks", &a.follow_blocks.to_string()])
                    .args(["--stock-items", &a.stock_items.to_string()])
                    .args(["--stock-samples", &a.stock_samples.to_string()])
                    .args(["--outbox-final", &a.outbox_final.to_string()]);
                if a.quiet {
                    cmd.arg("--quiet");
                }
                let r = cmd.stderr(Stdio::inherit()).output()?;
                if !r.status.success() {
                    bail!("part {part} failed: {}", String::from_utf8_lossy(&r.stdout));
                }
                out.insert(part.into(), serde_json::from_slice(&r.stdout)?);
            }
            out.insert("machine".into(), crate::bench::machine());
            Ok(Value::Object(out))
        }
    }
}

/// The header part: sync a day of certified headers, memory after it.
fn headers(a: LightBenchArgs) -> Result<Value> {
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
    let (anon, file) = (rss_kib("RssAnon:"), rss_kib("RssFile:"));
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
        "light_rss_anon_mb_after_day": (anon as f64 / 1024.0 * 10.0).round() / 10.0,
        "light_rss_file_mb_after_day": (file as f64 / 1024.0 * 10.0).round() / 10.0,
        "process_rss_mb_before_light": (rss_before as f64 / 1024.0 * 10.0).round() / 10.0,
        "validators": 4,
        "chain_build": serde_json::from_slice::<Value>(&built.stdout).unwrap_or(Value::Null),
        "machine": crate::bench::machine(),
    }))
}

/// The followed day's chain: one validator, a maker and the followed warehouse.
fn follow_genesis() -> Genesis {
    let roles = vec![Role::Manufacturer, Role::Warehouse, Role::Retailer];
    Genesis {
        name: "light follow bench".into(),
        time_ms: 1_790_000_000_000,
        validators: vec![key(20).public()],
        orgs: vec![
            AdmitOrg {
                org: key(21).public(),
                name: "Bench Maker".into(),
                prefixes: vec!["0614141".into()],
                glns: vec![],
                roles: roles.clone(),
            },
            AdmitOrg {
                org: key(22).public(),
                name: "Bench Warehouse".into(),
                prefixes: vec![],
                glns: vec![],
                roles,
            },
        ],
    }
}

const FOLLOW_GTIN: &str = "00614141000012";

fn bench_item(i: u64) -> Gs1Key {
    Gs1Key::Serial {
        gtin: FOLLOW_GTIN.into(),
        serial: format!("F{i:09}"),
    }
}

/// Builds the followed day: `blocks` blocks of one transaction each, the maker
/// commissioning an item, every hundredth offering the item before it to the warehouse.
fn build_follow_chain(dir: &Path, blocks: u64) -> Result<Value> {
    let v = key(20);
    handoff_node::identity::save_validator(dir, &v, now_ms())?;
    let ledger = Ledger::create(dir, &follow_genesis(), v)?;
    let maker = key(21);
    let mut txs: Vec<SignedTx> = Vec::with_capacity(blocks as usize);
    txs.push(ledger.sign_with_nonce(
        &maker,
        0,
        Payload::DefineProduct {
            gtin: FOLLOW_GTIN.into(),
            name: "Bench coffee".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
    )?);
    for i in 1..blocks {
        let p = if i % 100 == 0 {
            Payload::ProposeHandoff(ProposeHandoff {
                to: key(22).public(),
                entries: vec![Entry::item(bench_item(i - 1))],
                transfer: Transfer::Custody,
                ship_from: None,
                ship_to: None,
                docs: vec![],
                expires_at_height: None,
            })
        } else {
            Payload::Commission(Commission {
                entries: vec![Entry::item(bench_item(i))],
                claim_keys: vec![],
                at: None,
                lot: None,
                expiry: None,
                attributes: vec![],
            })
        };
        txs.push(ledger.sign_with_nonce(&maker, i, p)?);
    }
    let t = Instant::now();
    let mut rejected = 0usize;
    ledger.submit_pipelined(txs.into_iter().map(|t| vec![t]), |receipts| {
        rejected += receipts.iter().filter(|r| r.result.is_err()).count();
    })?;
    if rejected > 0 {
        bail!("{rejected} transactions of the followed day were rejected");
    }
    ledger.store.flush()?;
    Ok(json!({"blocks": ledger.store.height(), "seconds": t.elapsed().as_secs_f64()}))
}

/// A temporary folder in `/dev/shm` when there is one.
/// The bytes of the files under `dir`.
fn dir_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        let meta = e.metadata()?;
        total += if meta.is_dir() {
            dir_bytes(&e.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn shm_tmp() -> Result<tempfile::TempDir> {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    Ok(tempfile::Builder::new()
        .prefix("handoff-light-bench")
        .tempdir_in(base)?)
}

/// A full node serving the chain in `chain` on loopback (not voting); its address.
fn serve(exe: &Path, chain: &Path) -> Result<(Kill, String)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let addr = format!("/ip4/127.0.0.1/tcp/{port}");
    let mut child = Command::new(exe)
        .arg("--data")
        .arg(chain)
        .args(["node", "run", "--no-mdns", "--listen", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let out = child.stdout.take().context("full node stdout")?;
    let full = Kill(Some(child));
    let mut line = String::new();
    BufReader::new(out).read_line(&mut line)?;
    if !line.contains("\"ready\":true") {
        bail!("the full node did not start: {line}");
    }
    Ok((full, addr))
}

/// The follow part: a light node following the warehouse through a day in which 1% of
/// the transactions concern it.
fn follow(a: LightBenchArgs) -> Result<Value> {
    let say = |m: &str| {
        if !a.quiet {
            eprintln!("{m}");
        }
    };
    if a.follow_blocks < 200 {
        bail!("--follow-blocks must be at least 200");
    }
    let tmp = shm_tmp()?;
    let chain = tmp.path().join("full");
    std::fs::create_dir_all(&chain)?;
    let exe = std::env::current_exe().context("cannot find the handoff binary")?;
    say(&format!(
        "building a day of {} one-transaction blocks",
        a.follow_blocks
    ));
    let built = Command::new(&exe)
        .args(["--json", "bench", "light", "--follow-blocks"])
        .arg(a.follow_blocks.to_string())
        .arg("--build-follow-chain")
        .arg(&chain)
        .output()?;
    if !built.status.success() {
        bail!(
            "building the chain failed: {}",
            String::from_utf8_lossy(&built.stdout)
        );
    }
    let built: Value = serde_json::from_slice(&built.stdout).unwrap_or(Value::Null);
    let tip = built["blocks"].as_u64().unwrap_or(0);
    let (_full, addr) = serve(&exe, &chain)?;
    say("full node up; the warehouse's light node follows its org from genesis");
    let store = Arc::new(LightStore::create(
        &tmp.path().join("light"),
        &follow_genesis(),
    )?);
    let rss_before = rss_kib("VmRSS:");
    let t0 = Instant::now();
    let running = Running::start(
        store.clone(),
        Some(key(22).public()),
        LightOptions {
            peers: vec![addr.parse()?],
            mdns: false,
            max_inflight: 1,
            pump: false,
        },
        Arc::new(|| {}),
    )?;
    let limit = Duration::from_secs(3600);
    while store.freshness()?.height < tip {
        if t0.elapsed() > limit {
            bail!(
                "the light node indexed {} of {tip} blocks in an hour",
                store.freshness()?.height
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let seconds = t0.elapsed().as_secs_f64();
    let traffic = running.node().traffic();
    let rss = rss_kib("VmRSS:");
    let hwm = rss_kib("VmHWM:");
    let (anon, file) = (rss_kib("RssAnon:"), rss_kib("RssFile:"));
    // What stays on disk: the certified headers the store holds (the org's blocks not yet
    // pruned, the tip, the index's own), and the light folder's bytes.
    let headers_kept = store.kept_headers()?;
    let disk_bytes = dir_bytes(&tmp.path().join("light"))?;
    // What the index holds: every offer to the warehouse, in its inbox.
    let offers = store
        .indexed_handoffs()?
        .iter()
        .filter(|h| h.to == key(22).public())
        .count() as u64;
    running.shutdown();
    let expected = (tip - 1) / 100;
    if offers != expected {
        bail!("the light index holds {offers} offers to the warehouse, the chain {expected}");
    }
    let txs_for_org = expected;
    let mb = |kib: u64| (kib as f64 / 1024.0 * 10.0).round() / 10.0;
    Ok(json!({
        "day_blocks": tip,
        "day_transactions": tip,
        "transactions_concerning_org": txs_for_org,
        "share_concerning_org": txs_for_org as f64 / tip as f64,
        "blocks_fetched": traffic.blocks,
        "requests": traffic.requests,
        "bytes_downloaded": traffic.bytes,
        "bytes_downloaded_headers_and_filters": traffic.header_bytes,
        "bytes_downloaded_blocks_and_proofs": traffic.bytes - traffic.header_bytes,
        "follow_seconds": (seconds * 1000.0).round() / 1000.0,
        "light_rss_mb_after_day": mb(rss),
        "light_peak_rss_mb": mb(hwm),
        // What the process itself allocated, and the file pages (mostly this program's own
        // code) that RSS also counts.
        "light_rss_anon_mb_after_day": mb(anon),
        "light_rss_file_mb_after_day": mb(file),
        "process_rss_mb_before_light": mb(rss_before),
        "headers_kept_after_day": headers_kept,
        "light_folder_mb_after_day": (disk_bytes as f64 / 1e6 * 10.0).round() / 10.0,
        "chain_build": built,
    }))
}

/// The stock part: an org holding `--stock-items` items (on pallets, in lots, some in
/// transit) in the light index, and its stock answer from there. The records are the
/// ones a full node holds for that chain (`bench stock`'s), fed to the index as the
/// light node would after proving them.
fn stock(a: LightBenchArgs) -> Result<Value> {
    let tmp = shm_tmp()?;
    let built = crate::bench_stock::build(&tmp.path().join("full"), a.stock_items, a.quiet)?;
    let b = &built.bench;
    let me = b.a.public();
    let light = LightStore::create(&tmp.path().join("light"), &b.ledger.store.genesis()?)?;
    light.set_followed(&me)?;
    let t0 = Instant::now();
    let mut keys: Vec<StateKey> = (0..a.stock_items)
        .map(|k| StateKey::item(&b.item(k)))
        .collect();
    keys.extend(built.pallets.iter().map(StateKey::item));
    keys.extend(built.handoffs.iter().map(|h| StateKey::Handoff(*h)));
    keys.push(StateKey::Product(b.gtin.clone()));
    keys.push(StateKey::Org(me));
    keys.push(StateKey::Org(b.b.public()));
    let height = b.ledger.store.height();
    for (i, chunk) in keys.chunks(5_000).enumerate() {
        let mut records = Vec::with_capacity(chunk.len());
        for k in chunk {
            records.push((k.clone(), StateRead::read(&b.ledger.store, k)?));
        }
        light.index_block(&IndexedBlock {
            height: height.min(i as u64 + 1),
            records,
            history: vec![],
            activity: vec![],
            own: vec![],
        })?;
    }
    light.advance_indexed(height)?;
    let index_s = t0.elapsed().as_secs_f64();
    let all = StockRequest {
        product: None,
        lot: None,
        at: None,
        status: None,
        expiring_days: None,
    };
    let full = crate::bench_stock::answer(b, &all)?;
    let mut us = Vec::with_capacity(a.stock_samples);
    for _ in 0..a.stock_samples {
        let t = Instant::now();
        let r = handoff_node::light::index::stock_of(&light, &all).map_err(|e| {
            let (code, message) = e.parts();
            anyhow::anyhow!("{code}: {message}")
        })?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
        if r.totals != full.totals {
            bail!(
                "the light stock answer {:?} differs from the full node's {:?}",
                r.totals,
                full.totals
            );
        }
        std::hint::black_box(r);
    }
    us.sort_by(f64::total_cmp);
    Ok(json!({
        "items_held": a.stock_items,
        "stock_lines": full.totals.lines,
        "containers": full.totals.containers,
        "samples": a.stock_samples,
        "light_stock_p50_us": crate::bench::percentile(&us, 0.5),
        "light_stock_p99_us": crate::bench::percentile(&us, 0.99),
        "index_records": keys.len(),
        "index_build_seconds": index_s,
        "same_totals_as_full_node": true,
    }))
}

/// The outbox part: a light store whose outbox holds `--outbox-final` committed entries
/// (a busy org's months) and 10 still waiting. Timed, each as the median of 50 calls:
/// what the node reads on every follow step (the waiting entries: the keys it follows,
/// the pump, pruning), the next nonce and the counts, a listing (waiting and the newest
/// 200 final), and queueing one more entry (durable: one flush). `read_every_entry` is
/// the whole outbox read once, what every step read before the outbox had its index.
fn outbox(a: LightBenchArgs) -> Result<Value> {
    use handoff_node::light::OutboxStatus;
    let tmp = shm_tmp()?;
    let light = LightStore::create(tmp.path(), &genesis())?;
    let me = key(7);
    let sell = || Payload::Sell { entries: vec![] };
    let t0 = Instant::now();
    let mut left = a.outbox_final;
    while left > 0 {
        let n = left.min(1_000);
        for mut e in light.queue(&me, (0..n).map(|_| sell()).collect())? {
            e.status = OutboxStatus::Committed {
                height: e.seq,
                index: 0,
            };
            light.put_entry(&e)?;
        }
        left -= n;
    }
    light.queue(&me, (0..10).map(|_| sell()).collect())?;
    let fill_s = t0.elapsed().as_secs_f64();
    let median_us = |f: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let mut us = Vec::with_capacity(50);
        for _ in 0..50 {
            let t = Instant::now();
            f()?;
            us.push(t.elapsed().as_secs_f64() * 1e6);
        }
        us.sort_by(f64::total_cmp);
        Ok(crate::bench::percentile(&us, 0.5))
    };
    let waiting = median_us(&mut || {
        let open = light.open_entries()?;
        if open.len() != 10 {
            bail!("{} entries waiting, 10 queued", open.len());
        }
        Ok(())
    })?;
    let nonce = median_us(&mut || {
        let n = light.next_nonce(&me.public())?;
        if n != a.outbox_final + 10 {
            bail!("next nonce {n}, {} queued", a.outbox_final + 10);
        }
        std::hint::black_box(light.outbox_counts()?);
        Ok(())
    })?;
    let listing = median_us(&mut || {
        std::hint::black_box(light.recent_entries(200)?);
        Ok(())
    })?;
    let every = median_us(&mut || {
        std::hint::black_box(light.entries()?);
        Ok(())
    })?;
    // Counted before the queueing below adds its 50 entries.
    let counts = light.outbox_counts()?;
    let queue = median_us(&mut || {
        light.queue(&me, vec![sell()])?;
        Ok(())
    })?;
    Ok(json!({
        "final_entries": counts.committed,
        "waiting_entries": counts.open(),
        "fill_seconds": fill_s,
        "waiting_entries_read_us": waiting,
        "next_nonce_and_counts_us": nonce,
        "listing_us": listing,
        "queue_one_us": queue,
        "read_every_entry_us": every,
        "step_read_speedup": every / waiting,
        "store_bytes": dir_bytes(tmp.path())?,
    }))
}
