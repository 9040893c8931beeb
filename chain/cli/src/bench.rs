//! `handoff bench …`: throughput and latency of the real ledger (signed transactions, the
//! sled store on disk, durable commits), printed as JSON. Everything a figure depends on
//! is measured in the same run, so ratios hold on a noisy shared machine.

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use handoff_core::block::Genesis;
use handoff_core::crypto::{Keypair, verify_tx};
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::limits::MAX_BLOCK_TXS;
use handoff_core::query;
use handoff_core::tx::*;
use handoff_core::types::Role;
use handoff_node::ledger::{Ledger, Sequencer, first_rejection, now_ms, verify_parallel};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Benchmarks.
#[derive(Subcommand, Debug)]
pub enum BenchCmd {
    /// Signed handoffs validated, applied and durably committed per second, against the raw
    /// single-core signature verification rate measured in the same run.
    Ledger(LedgerArgs),
    /// `item history` latency for a 20-event item with a small and a large store, and the
    /// bytes on disk per handoff.
    History(HistoryArgs),
    /// Committed transactions per second and finality latency of a local network of
    /// validator processes under a steady load.
    #[cfg(feature = "p2p")]
    Cluster(crate::bench_cluster::ClusterArgs),
    /// Light-node sync rate of certified headers from a full node, and its memory after
    /// a day's worth of blocks.
    #[cfg(feature = "p2p")]
    Light(crate::bench_light::LightBenchArgs),
    /// Requests a second and p50/p99 latency of lookups and verifies through a running
    /// node's HTTP API, from a second process on loopback, and how a burst of malformed
    /// and oversized requests was answered.
    #[cfg(feature = "p2p")]
    Http(crate::bench_http::HttpBenchArgs),
    /// Digital Links resolved a second (JSON), evidence fetched a second and the consumer
    /// page served a second, p50/p99, through a running node from a second process on
    /// loopback, and how malformed Digital Links were answered.
    #[cfg(feature = "p2p")]
    Resolver(crate::bench_http::HttpBenchArgs),
    /// Documents notarized a second from 1 MB files (hashing included, durable commits),
    /// and `doc verify` latency (proof included) on a chain holding a million documents.
    Docs(crate::bench_docs::DocsArgs),
    /// `handoff stock` latency (p50/p99) for an org holding 100,000 items in lots,
    /// pallets and open handoffs, answered from the store's stock index.
    Stock(crate::bench_stock::StockBenchArgs),
    /// EPCIS events imported a second from a 100,000-event JSON-LD document (and from a
    /// tenth and a half of it), with the importing process's peak memory at each size.
    Epcis(crate::bench_epcis::EpcisBenchArgs),
    /// A lender's portfolio and one asset's evidence (p50/p95/p99/max) on a chain of
    /// 100,000 accepted handoffs and 10,000 receivables, and what private terms cost each
    /// finance transaction (proof and box bytes, prove, seal and check times).
    Finance(crate::bench_finance::FinanceBenchArgs),
}

/// Options of `bench ledger`.
#[derive(Args, Debug)]
pub struct LedgerArgs {
    /// Handoffs (each is a proposal and an acceptance: two transactions).
    #[arg(long, default_value_t = 20_000)]
    pub handoffs: usize,
    /// Transactions per block.
    #[arg(long, default_value_t = 4096)]
    pub block_txs: usize,
    /// Where to put the store (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Options of `bench history`.
#[derive(Args, Debug)]
pub struct HistoryArgs {
    /// Items in the small store.
    #[arg(long, default_value_t = 10_000)]
    pub small: u64,
    /// Items in the large store.
    #[arg(long, default_value_t = 1_000_000)]
    pub large: u64,
    /// History queries timed at each size.
    #[arg(long, default_value_t = 5_000)]
    pub samples: usize,
    /// Handoffs used to measure bytes on disk per handoff.
    #[arg(long, default_value_t = 5_000)]
    pub disk_handoffs: usize,
    /// Where to put the store (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// Runs a benchmark.
pub fn run(cmd: BenchCmd) -> Result<crate::cli::Output> {
    let json = match cmd {
        BenchCmd::Ledger(a) => ledger(a)?,
        BenchCmd::History(a) => history(a)?,
        #[cfg(feature = "p2p")]
        BenchCmd::Cluster(a) => crate::bench_cluster::run(a)?,
        #[cfg(feature = "p2p")]
        BenchCmd::Light(a) => crate::bench_light::run(a)?,
        #[cfg(feature = "p2p")]
        BenchCmd::Http(a) => crate::bench_http::run(a, crate::bench_http::Mode::Api)?,
        #[cfg(feature = "p2p")]
        BenchCmd::Resolver(a) => crate::bench_http::run(a, crate::bench_http::Mode::Resolver)?,
        BenchCmd::Docs(a) => crate::bench_docs::run(a)?,
        BenchCmd::Stock(a) => crate::bench_stock::run(a)?,
        BenchCmd::Epcis(a) => crate::bench_epcis::run(a)?,
        BenchCmd::Finance(a) => crate::bench_finance::run(a)?,
    };
    let text = serde_json::to_string_pretty(&json)?;
    Ok(crate::cli::Output { json, text })
}

pub(crate) fn bar(quiet: bool, len: u64, msg: &str) -> ProgressBar {
    let b = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(len)
    };
    b.set_style(
        ProgressStyle::with_template("{msg:28} [{bar:30}] {pos}/{len} {per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    b.set_message(msg.to_string());
    b
}

fn with_check(d: &str) -> String {
    format!("{d}{}", check_digit(d).unwrap_or(0))
}

/// Two trading orgs on a fresh chain in `dir`, the first owning a product.
pub(crate) struct Bench {
    pub(crate) ledger: Ledger,
    pub(crate) a: Keypair,
    pub(crate) b: Keypair,
    na: u64,
    nb: u64,
    pub(crate) gtin: String,
}

pub(crate) fn machine() -> Value {
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    json!({"cpus": cpus, "cpu": model, "os": std::env::consts::OS, "arch": std::env::consts::ARCH})
}

impl Bench {
    pub(crate) fn new(dir: &Path) -> Result<Bench> {
        let a = handoff_node::identity::generate()?;
        let b = handoff_node::identity::generate()?;
        let v = handoff_node::identity::generate()?;
        let roles = vec![
            Role::Manufacturer,
            Role::Warehouse,
            Role::Distributor,
            Role::Retailer,
        ];
        let genesis = Genesis {
            name: "bench".into(),
            time_ms: now_ms(),
            validators: vec![v.public()],
            orgs: vec![
                AdmitOrg {
                    org: a.public(),
                    name: "Bench Maker".into(),
                    prefixes: vec!["0614141".into()],
                    glns: vec![],
                    roles: roles.clone(),
                },
                AdmitOrg {
                    org: b.public(),
                    name: "Bench Store".into(),
                    prefixes: vec![],
                    glns: vec![],
                    roles,
                },
            ],
        };
        let ledger = Ledger::create(dir, &genesis, v)?;
        let gtin = with_check("0061414100001");
        let mut me = Bench {
            ledger,
            a,
            b,
            na: 0,
            nb: 0,
            gtin: gtin.clone(),
        };
        let t = me.sign_a(Payload::DefineProduct {
            gtin,
            name: "Bench item".into(),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        })?;
        me.submit(vec![t])?;
        Ok(me)
    }

    pub(crate) fn sign_a(&mut self, p: Payload) -> Result<SignedTx> {
        let t = self.ledger.sign_with_nonce(&self.a, self.na, p)?;
        self.na += 1;
        Ok(t)
    }

    fn sign_b(&mut self, p: Payload) -> Result<SignedTx> {
        let t = self.ledger.sign_with_nonce(&self.b, self.nb, p)?;
        self.nb += 1;
        Ok(t)
    }

    pub(crate) fn submit(&self, txs: Vec<SignedTx>) -> Result<()> {
        let r = self.ledger.submit(txs)?;
        if let Some(e) = first_rejection(&r) {
            bail!(
                "bench transaction rejected: {} {}",
                e.code.as_str(),
                e.message
            );
        }
        Ok(())
    }

    pub(crate) fn item(&self, i: u64) -> Gs1Key {
        Gs1Key::Serial {
            gtin: self.gtin.clone(),
            serial: format!("B{i:09}"),
        }
    }

    /// Commissions items `from..to` (1000 to a transaction).
    fn commission(&mut self, from: u64, to: u64, bar: &ProgressBar) -> Result<()> {
        let mut batch = Vec::new();
        let mut i = from;
        while i < to {
            let end = (i + 1000).min(to);
            let entries = (i..end).map(|k| Entry::item(self.item(k))).collect();
            batch.push(self.sign_a(Payload::Commission(Commission {
                entries,
                claim_keys: vec![],
                at: None,
                lot: None,
                expiry: None,
                attributes: vec![],
            }))?);
            bar.inc(end - i);
            i = end;
            if batch.len() == 20 {
                self.submit(std::mem::take(&mut batch))?;
            }
        }
        if !batch.is_empty() {
            self.submit(batch)?;
        }
        Ok(())
    }

    fn propose(&mut self, from_a: bool, items: Vec<Entry>) -> Result<SignedTx> {
        let (to, p) = if from_a {
            (self.b.public(), true)
        } else {
            (self.a.public(), false)
        };
        let payload = Payload::ProposeHandoff(ProposeHandoff {
            to,
            entries: items,
            transfer: Transfer::Both,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_at_height: None,
        });
        if p {
            self.sign_a(payload)
        } else {
            self.sign_b(payload)
        }
    }

    fn accept(&mut self, by_b: bool, handoff: handoff_core::types::Hash32) -> Result<SignedTx> {
        let payload = Payload::AcceptHandoff(AcceptHandoff {
            handoff,
            missing: vec![],
            damaged: vec![],
        });
        if by_b {
            self.sign_b(payload)
        } else {
            self.sign_a(payload)
        }
    }
}

pub(crate) struct Scratch {
    pub(crate) path: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

pub(crate) fn scratch(dir: &Option<PathBuf>) -> Result<Scratch> {
    match dir {
        Some(d) => {
            if d.join("chain").exists() {
                bail!("{} already holds a chain", d.display());
            }
            std::fs::create_dir_all(d)?;
            Ok(Scratch {
                path: d.clone(),
                _tmp: None,
            })
        }
        None => {
            let t = tempfile::Builder::new()
                .prefix("handoff-bench")
                .tempdir_in(std::env::temp_dir())?;
            Ok(Scratch {
                path: t.path().to_path_buf(),
                _tmp: Some(t),
            })
        }
    }
}

fn ledger(a: LedgerArgs) -> Result<Value> {
    if a.handoffs == 0 || a.block_txs == 0 || a.block_txs > MAX_BLOCK_TXS {
        bail!("--handoffs must be positive and --block-txs between 1 and {MAX_BLOCK_TXS}");
    }
    let dir = scratch(&a.dir)?;
    let mut b = Bench::new(&dir.path)?;
    let n = a.handoffs as u64;
    let pb = bar(a.quiet, n, "commissioning items");
    b.commission(0, n, &pb)?;
    pb.finish_and_clear();

    // Signed ahead of time: the figure is about validating, applying and committing.
    let pb = bar(a.quiet, 2 * n, "signing transactions");
    let mut proposals = Vec::with_capacity(a.handoffs);
    for i in 0..n {
        let e = Entry::item(b.item(i));
        proposals.push(b.propose(true, vec![e])?);
        pb.inc(1);
    }
    let mut accepts = Vec::with_capacity(a.handoffs);
    for p in &proposals {
        accepts.push(b.accept(true, p.id())?);
        pb.inc(1);
    }
    pb.finish_and_clear();

    // Raw single-core verification rate, one signature at a time (the ledger's rule).
    let sample: Vec<&SignedTx> = proposals.iter().chain(&accepts).take(20_000).collect();
    let t0 = Instant::now();
    let mut ok = 0usize;
    for t in &sample {
        ok += usize::from(verify_tx(t));
    }
    let verify_s = t0.elapsed().as_secs_f64();
    if ok != sample.len() {
        bail!("bench signatures failed to verify");
    }
    let verify_per_s = sample.len() as f64 / verify_s;

    // The same signatures, batch-verified on every core (what block production uses).
    let all: Vec<SignedTx> = proposals
        .iter()
        .chain(&accepts)
        .take(20_000)
        .cloned()
        .collect();
    let t0 = Instant::now();
    let batch_ok = verify_parallel(&all);
    let batch_verify_per_s = all.len() as f64 / t0.elapsed().as_secs_f64();
    if batch_ok.iter().any(|x| !x) {
        bail!("bench batch verification failed");
    }

    let total = 2 * a.handoffs;
    let pb = bar(a.quiet, total as u64, "committing handoffs");
    let height0 = b.ledger.store.height();
    let bytes0 = b.ledger.store.size_on_disk();
    let mut txs = proposals;
    txs.extend(accepts);
    let batches: Vec<Vec<SignedTx>> = txs.chunks(a.block_txs).map(|c| c.to_vec()).collect();
    let mut committed = 0usize;
    let mut rejected = 0usize;
    let filter0 = b.ledger.filter_time().as_secs_f64();
    let t0 = Instant::now();
    b.ledger.submit_pipelined(batches.into_iter(), |receipts| {
        for r in receipts {
            if r.result.is_ok() {
                committed += 1;
            } else {
                rejected += 1;
            }
        }
        pb.inc(receipts.len() as u64);
    })?;
    let commit_s = t0.elapsed().as_secs_f64();
    let filter_s = b.ledger.filter_time().as_secs_f64() - filter0;
    pb.finish_and_clear();
    if rejected > 0 {
        bail!("{rejected} bench transactions were rejected");
    }
    let committed_tx_per_s = committed as f64 / commit_s;
    let blocks = b.ledger.store.height() - height0;
    Ok(json!({
        "bench": "ledger",
        "handoffs": a.handoffs,
        "transactions": committed,
        "blocks": blocks,
        "block_txs": a.block_txs,
        "seconds": commit_s,
        "committed_tx_per_s": committed_tx_per_s,
        "committed_handoffs_per_s": committed_tx_per_s / 2.0,
        "verify_per_s": verify_per_s,
        "batch_verify_per_s_all_cores": batch_verify_per_s,
        "efficiency": committed_tx_per_s / verify_per_s,
        "filter_seconds": filter_s,
        "filter_share_of_commit_time": filter_s / commit_s,
        "disk_bytes_per_tx": (b.ledger.store.size_on_disk().saturating_sub(bytes0)) as f64 / committed as f64,
        "durable": "each block flushed to disk before its receipts",
        "machine": machine(),
    }))
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Both sizes are measured on a store at rest: flushed, and given a moment for sled's
/// background page writer to finish what the load before it left.
pub(crate) fn settle(b: &Bench) -> Result<()> {
    b.ledger.store.flush()?;
    std::thread::sleep(std::time::Duration::from_secs(2));
    Ok(())
}

/// One `item history` as the CLI serves it: the record, the provenance query, the JSON.
fn history_once(b: &Bench, key: &Gs1Key) -> Result<(f64, usize)> {
    let t0 = Instant::now();
    let item =
        handoff_node::view::thing_json(&b.ledger.store, key)?.context("bench item missing")?;
    let j = query::journey(&b.ledger.store, &b.ledger.store, key)?;
    let ev: Vec<Value> = j
        .iter()
        .map(|e| handoff_node::view::event_json(&b.ledger.store, e))
        .collect::<Result<_, _>>()?;
    let out = serde_json::to_string(&json!({"item": item, "events": ev}))?;
    let us = t0.elapsed().as_secs_f64() * 1e6;
    std::hint::black_box(out);
    Ok((us, ev.len()))
}

/// Latencies in µs: `(first query of each key, sorted; repeated queries, sorted; events)`.
/// The first query of a key finds its pages outside the store's cache; the repeated ones
/// show the cost of the query itself.
fn time_history(b: &Bench, keys: &[Gs1Key], samples: usize) -> Result<(Vec<f64>, Vec<f64>, usize)> {
    let mut cold = Vec::with_capacity(keys.len());
    let mut events = 0;
    for k in keys {
        let (us, n) = history_once(b, k)?;
        cold.push(us);
        events = n;
    }
    let mut warm = Vec::with_capacity(samples);
    for i in 0..samples {
        warm.push(history_once(b, &keys[i % keys.len()])?.0);
    }
    cold.sort_by(|x, y| x.total_cmp(y));
    warm.sort_by(|x, y| x.total_cmp(y));
    Ok((cold, warm, events))
}

/// Gives items `keys` 19 more events each (a commission plus 19 = 20): handoffs back and
/// forth, each a proposal and an acceptance, and one observation.
fn twenty_events(b: &mut Bench, keys: &[Gs1Key]) -> Result<()> {
    let entries: Vec<Entry> = keys.iter().cloned().map(Entry::item).collect();
    let mut from_a = true;
    for _ in 0..9 {
        let p = b.propose(from_a, entries.clone())?;
        let id = p.id();
        let acc = b.accept(from_a, id)?;
        b.submit(vec![p])?;
        b.submit(vec![acc])?;
        from_a = !from_a;
    }
    let signer_is_a = from_a;
    let obs = Payload::Observe(Observe {
        entries,
        at: None,
        kind: "inspection".into(),
        readings: vec![("ok".into(), "yes".into())],
    });
    let t = if signer_is_a {
        b.sign_a(obs)
    } else {
        b.sign_b(obs)
    }?;
    b.submit(vec![t])
}

fn history(a: HistoryArgs) -> Result<Value> {
    if a.small == 0 || a.large <= a.small || a.samples == 0 {
        bail!("need 0 < --small < --large and --samples > 0");
    }
    let dir = scratch(&a.dir)?;
    let mut b = Bench::new(&dir.path)?;
    let probes = 256u64.min(a.small);

    // Small store: `small` items, of which `probes` have 20 events.
    let pb = bar(a.quiet, a.small, "small store");
    b.commission(0, a.small, &pb)?;
    pb.finish_and_clear();
    let stride = a.small / probes;
    let keys: Vec<Gs1Key> = (0..probes).map(|i| b.item(i * stride)).collect();
    twenty_events(&mut b, &keys)?;
    settle(&b)?;
    let (cold_small, warm_small, events) = time_history(&b, &keys, a.samples)?;
    if events != 20 {
        bail!("bench item has {events} events, expected 20");
    }

    // Bytes on disk per handoff: single-item handoffs (proposal + acceptance) on fresh items.
    b.ledger.store.flush()?;
    let bytes0 = b.ledger.store.size_on_disk();
    let mut txs = Vec::new();
    let disk_items: Vec<Gs1Key> = (1..a.small.min(a.disk_handoffs as u64 + 1))
        .map(|i| b.item(i))
        .filter(|k| !keys.contains(k))
        .collect();
    let props: Vec<SignedTx> = disk_items
        .iter()
        .map(|k| b.propose(true, vec![Entry::item(k.clone())]))
        .collect::<Result<_>>()?;
    for p in &props {
        txs.push(b.accept(true, p.id())?);
    }
    b.submit(props)?;
    b.submit(txs)?;
    b.ledger.store.flush()?;
    let disk_bytes_per_handoff =
        b.ledger.store.size_on_disk().saturating_sub(bytes0) as f64 / disk_items.len() as f64;

    // Large store: grow to `large` items, then time the same items again.
    let pb = bar(a.quiet, a.large - a.small, "large store");
    b.commission(a.small, a.large, &pb)?;
    pb.finish_and_clear();
    settle(&b)?;
    let (cold_large, warm_large, _) = time_history(&b, &keys, a.samples)?;
    let (p50_small, p99_small) = (percentile(&warm_small, 0.5), percentile(&warm_small, 0.99));
    let (p50_large, p99_large) = (percentile(&warm_large, 0.5), percentile(&warm_large, 0.99));
    let size_large = b.ledger.store.size_on_disk();
    Ok(json!({
        "bench": "history",
        "events_per_item": events,
        "samples": a.samples,
        "small_items": a.small,
        "large_items": a.large,
        "p50_us_10k": p50_small,
        "p99_us_10k": p99_small,
        "p50_us_1m": p50_large,
        "p99_us_1m": p99_large,
        "p99_ratio": p99_large / p99_small,
        "p50_ratio": p50_large / p50_small,
        "cold_p50_us_10k": percentile(&cold_small, 0.5),
        "cold_p99_us_10k": percentile(&cold_small, 0.99),
        "cold_p50_us_1m": percentile(&cold_large, 0.5),
        "cold_p99_us_1m": percentile(&cold_large, 0.99),
        "probe_items": keys.len(),
        "disk_bytes_per_handoff": disk_bytes_per_handoff,
        "disk_bytes_large_store": size_large,
        "machine": machine(),
    }))
}
