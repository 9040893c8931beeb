//! `handoff bench stock`: how long "what do we hold" takes for an org holding 100,000
//! serialized items. The items are spread as a warehouse holds them: 50 lots with their
//! own expiry, a fifth of them on pallets of 100, a tenth offered to another org (in
//! transit), and one lot commissioned as a quantity. The stock answer (`handoff stock`:
//! rows of the store's stock index, the org's then each pallet's, product names, expiry
//! against the chain's time, totals, arrivals and shipments in transit) is timed
//! unfiltered and with the "expiring within 30 days" filter.

use crate::bench::{Bench, bar, machine, percentile, scratch, settle};
use anyhow::{Result, bail};
use clap::Args;
use handoff_api::StockRequest;
use handoff_core::gs1::{Gs1Key, check_digit};
use handoff_core::limits::MAX_ENTRIES;
use handoff_core::tx::{Commission, Entry, Payload, ProposeHandoff, SignedTx, Transfer};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::Instant;

/// Options of `bench stock`.
#[derive(Args, Debug)]
pub struct StockBenchArgs {
    /// Serialized items the org holds.
    #[arg(long, default_value_t = 100_000)]
    pub items: u64,
    /// Stock queries timed, each way.
    #[arg(long, default_value_t = 500)]
    pub samples: usize,
    /// Where to put the store (default: a temporary folder, removed afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

const LOTS: u64 = 50;
const PALLET: u64 = 100;

fn pallet(n: u64) -> Gs1Key {
    let d = format!("10614141{n:09}");
    Gs1Key::Sscc {
        sscc: format!("{d}{}", check_digit(&d).unwrap_or(0)),
    }
}

/// The API's stock answer for `me` (its code and message on failure).
fn stock(
    b: &Bench,
    me: &handoff_core::types::PublicKey,
    req: &StockRequest,
) -> Result<handoff_api::StockResponse> {
    handoff_node::stock::stock(&b.ledger, me, req).map_err(|e| {
        let (code, message) = e.parts();
        anyhow::anyhow!("{code}: {message}")
    })
}

/// Microseconds of each stock answer, sorted, checking the total each time.
fn time_stock(b: &Bench, req: &StockRequest, samples: usize, items: u64) -> Result<Vec<f64>> {
    let me = b.a.public();
    let mut us = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        let r = stock(b, &me, req)?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
        if r.totals.items != items {
            bail!(
                "the stock answer counts {} items, expected {items}",
                r.totals.items
            );
        }
        std::hint::black_box(r);
    }
    us.sort_by(f64::total_cmp);
    Ok(us)
}

/// A chain in which org A holds `items` items as `bench stock` spreads them.
pub(crate) struct Built {
    /// The chain.
    pub(crate) bench: Bench,
    /// The pallets A packed.
    pub(crate) pallets: Vec<Gs1Key>,
    /// The offers A made to B.
    pub(crate) handoffs: Vec<handoff_core::types::Hash32>,
    /// Items offered (in transit).
    pub(crate) offered: u64,
    /// Seconds it took.
    pub(crate) setup_s: f64,
}

/// The API's stock answer for A.
pub(crate) fn answer(b: &Bench, req: &StockRequest) -> Result<handoff_api::StockResponse> {
    stock(b, &b.a.public(), req)
}

/// Builds the chain of `bench stock` in `dir`: `items` items of A, 50 lots, a fifth on
/// pallets of 100, a tenth offered to B.
pub(crate) fn build(dir: &std::path::Path, items: u64, quiet: bool) -> Result<Built> {
    if items < LOTS * PALLET * 2 {
        bail!("need at least {} items", LOTS * PALLET * 2);
    }
    let mut b = Bench::new(dir)?;
    let now_yy = 26; // expiries spread over the next years, one lot a month
    let gln = format!("061414100001{}", check_digit("061414100001").unwrap_or(0));
    let t0 = Instant::now();

    // Commission: a thousand items a transaction, each thousand of one lot.
    let pb = bar(quiet, items, "commission");
    let mut batch: Vec<SignedTx> = Vec::new();
    let mut i = 0;
    while i < items {
        let end = (i + MAX_ENTRIES as u64).min(items);
        let lot = (i / MAX_ENTRIES as u64) % LOTS;
        let expiry = format!("{:02}{:02}15", now_yy + 1 + lot / 12, lot % 12 + 1);
        batch.push(b.sign_a(Payload::Commission(Commission {
            entries: (i..end).map(|k| Entry::item(b.item(k))).collect(),
            claim_keys: vec![],
            at: Some(gln.clone()),
            lot: Some(format!("L{lot:03}")),
            expiry: Some(expiry),
            attributes: vec![],
        }))?);
        pb.inc(end - i);
        i = end;
        if batch.len() == 20 {
            b.submit(std::mem::take(&mut batch))?;
        }
    }
    if !batch.is_empty() {
        b.submit(std::mem::take(&mut batch))?;
    }
    pb.finish_and_clear();

    // A fifth on pallets of 100.
    let packed = items / 5 / PALLET * PALLET;
    let mut pallets = Vec::new();
    for p in 0..packed / PALLET {
        pallets.push(pallet(p + 1));
        batch.push(
            b.sign_a(Payload::Pack {
                container: pallet(p + 1),
                entries: (p * PALLET..(p + 1) * PALLET)
                    .map(|k| Entry::item(b.item(k)))
                    .collect(),
            })?,
        );
        if batch.len() == 50 {
            b.submit(std::mem::take(&mut batch))?;
        }
    }
    if !batch.is_empty() {
        b.submit(std::mem::take(&mut batch))?;
    }

    // A tenth offered to the other org (still held, in transit).
    let offered = items / 10;
    let mut handoffs = Vec::new();
    let mut k = packed;
    while k < packed + offered {
        let end = (k + MAX_ENTRIES as u64).min(packed + offered);
        let t = b.sign_a(Payload::ProposeHandoff(ProposeHandoff {
            to: b.b.public(),
            entries: (k..end).map(|x| Entry::item(b.item(x))).collect(),
            transfer: Transfer::Custody,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_at_height: None,
        }))?;
        handoffs.push(t.id());
        batch.push(t);
        k = end;
    }
    b.submit(std::mem::take(&mut batch))?;
    settle(&b)?;
    Ok(Built {
        bench: b,
        pallets,
        handoffs,
        offered,
        setup_s: t0.elapsed().as_secs_f64(),
    })
}

/// Runs the benchmark.
pub fn run(a: StockBenchArgs) -> Result<Value> {
    if a.items < LOTS * PALLET * 2 || a.samples == 0 {
        bail!(
            "need --items of at least {} and --samples > 0",
            LOTS * PALLET * 2
        );
    }
    let dir = scratch(&a.dir)?;
    let built = build(&dir.path, a.items, a.quiet)?;
    let b = &built.bench;
    let offered = built.offered;
    let setup_s = built.setup_s;

    let all = StockRequest {
        product: None,
        lot: None,
        at: None,
        status: None,
        expiring_days: None,
    };
    let first = stock(b, &b.a.public(), &all)?;
    let lines = first.totals.lines;
    let containers = first.totals.containers;
    let in_transit = first.in_transit.len();
    let unfiltered = time_stock(b, &all, a.samples, a.items)?;
    let expiring = StockRequest {
        expiring_days: Some(30),
        ..all
    };
    let filtered: Vec<f64> = {
        let me = b.a.public();
        let mut us = Vec::with_capacity(a.samples);
        for _ in 0..a.samples {
            let t = Instant::now();
            let r = stock(b, &me, &expiring)?;
            us.push(t.elapsed().as_secs_f64() * 1e6);
            std::hint::black_box(r);
        }
        us.sort_by(f64::total_cmp);
        us
    };
    Ok(json!({
        "bench": "stock",
        "items_held": a.items,
        "lots": LOTS,
        "pallets": containers,
        "items_in_transit": offered,
        "open_handoffs": in_transit,
        "stock_lines": lines,
        "samples": a.samples,
        "p50_us": percentile(&unfiltered, 0.5),
        "p99_us": percentile(&unfiltered, 0.99),
        "expiring_30d_p50_us": percentile(&filtered, 0.5),
        "expiring_30d_p99_us": percentile(&filtered, 0.99),
        "setup_seconds": setup_s,
        "disk_bytes": b.ledger.store.size_on_disk(),
        "machine": machine(),
    }))
}
