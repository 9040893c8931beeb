//! The process the power-loss tests crash: Handoff's own code writing to the power-loss
//! disk, printing one line per write it was told is durable.
//!
//! - `powerloss-driver handoff ARGS…` — the real `handoff` command line (so `handoff
//!   load` commits handoffs through the embedded validator and prints `ACK <tx id>`
//!   once each block is durable).
//! - `powerloss-driver outbox DATA` — queues scans in the light node's outbox
//!   (`LightStore::queue`) until killed, printing `ACK <seq> <tx id> <nonce>` once each
//!   queueing returned, and now and then marks an entry submitted (`LightStore::put_entry`),
//!   printing `SUBMITTED <seq>`.
//! - `powerloss-driver node-load DATA GTIN` — commissions one item after another on a
//!   folder where `handoff node run` runs, sending each typed request to the node as the
//!   `handoff` command line does (so each commit goes through the node's consensus),
//!   printing `ACK <tx id>` once each is committed.
//! - `powerloss-driver wal DATA` — appends records to the consensus write-ahead log
//!   (`Wal::append`) until killed, printing `ACK <height> <index>`, and prunes old heights
//!   (`Wal::prune_below`), printing `PRUNED <height>`.

use anyhow::{Context, Result, bail};
use clap::Parser;
use handoff_cli::cli::{self, Cli};
use handoff_core::crypto::Keypair;
use handoff_core::gs1::Gs1Key;
use handoff_core::tx::{Commission, Entry, Payload};
use handoff_node::light::{LightStore, OutboxStatus};
use handoff_node::wal::Wal;
use handoff_powerloss::workload::{
    OUTBOX_SIGNER_SEED, outbox_genesis, parse_wal_record, wal_record,
};
use std::io::Write;
use std::path::Path;

const GTIN: &str = "09506000134352";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.first().map(String::as_str) {
        Some("handoff") => handoff(&args[1..]),
        Some("outbox") if args.len() == 2 => outbox(Path::new(&args[1])),
        Some("wal") if args.len() == 2 => wal(Path::new(&args[1])),
        Some("node-load") if args.len() == 3 => node_load(&args[1], &args[2]),
        _ => Err(anyhow::anyhow!(
            "usage: powerloss-driver handoff ARGS… | outbox DATA | node-load DATA GTIN | wal DATA"
        )),
    };
    match r {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("powerloss-driver: {e:#}");
            std::process::exit(1);
        }
    }
}

/// Runs the `handoff` command line on `args`, printing like the real binary.
fn handoff(args: &[String]) -> Result<i32> {
    let cli =
        Cli::try_parse_from(std::iter::once("handoff".to_string()).chain(args.iter().cloned()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    let json = cli.json;
    let code = match cli::run(cli) {
        Ok(out) => {
            let mut o = std::io::stdout().lock();
            if json {
                let _ = writeln!(o, "{}", out.json);
            } else if !out.text.is_empty() {
                let _ = writeln!(o, "{}", out.text.trim_end());
            }
            0
        }
        Err(e) => {
            let (code, message) = e.parts();
            eprintln!("{message} [{code}]");
            e.exit_code()
        }
    };
    let _ = std::io::stdout().flush();
    Ok(code)
}

fn node_load(data: &str, gtin: &str) -> Result<i32> {
    let run = std::process::id();
    let mut out = std::io::stdout().lock();
    // What `handoff --data DATA item commission SCAN` does with a node on the folder:
    // the typed request goes to the node, which commits it through consensus.
    let node = handoff_node::gateway::running_node(Path::new(data))
        .ok_or_else(|| anyhow::anyhow!("no node runs on {data}"))?;
    for i in 0u64.. {
        let scan = format!("(01){gtin}(21)N{run}-{i}");
        let done = node
            .call(&handoff_api::CommissionRequest {
                scans: vec![scan.clone()],
                lot: None,
                qty: None,
                at: None,
                expiry: None,
                claim_codes: false,
                pin: None,
            })
            .map_err(|e| anyhow::anyhow!("commissioning {scan}: {e}"))?;
        writeln!(out, "ACK {}", done.tx)?;
        out.flush()?;
    }
    Ok(0)
}

fn outbox(data: &Path) -> Result<i32> {
    let store = if handoff_node::light::store_dir(data).exists() {
        LightStore::open(data)?
    } else {
        LightStore::create(data, &outbox_genesis())?
    };
    let key = Keypair::from_secret(OUTBOX_SIGNER_SEED);
    let run = std::process::id();
    let mut out = std::io::stdout().lock();
    for round in 0u64.. {
        // One to three scans per queueing, as a batch scan would.
        let payloads = (0..1 + round % 3)
            .map(|j| {
                Payload::Commission(Commission {
                    entries: vec![Entry::item(Gs1Key::Serial {
                        gtin: GTIN.into(),
                        serial: format!("R{run}-{round}-{j}"),
                    })],
                    claim_keys: vec![],
                    at: None,
                    lot: None,
                    expiry: None,
                    attributes: vec![],
                })
            })
            .collect();
        let queued = store.queue(&key, payloads).context("queueing")?;
        for e in &queued {
            writeln!(out, "ACK {} {} {}", e.seq, e.id.to_hex(), e.nonce)?;
        }
        out.flush()?;
        if round % 4 == 3
            && let Some(first) = queued.first()
        {
            let mut e = first.clone();
            e.status = OutboxStatus::Submitted;
            store.put_entry(&e).context("marking an entry submitted")?;
            writeln!(out, "SUBMITTED {}", e.seq)?;
            out.flush()?;
        }
    }
    Ok(0)
}

fn wal(data: &Path) -> Result<i32> {
    let mut wal = Wal::open(data)?;
    let mut height = 1;
    for r in wal.records() {
        let Some((h, _)) = parse_wal_record(&r) else {
            bail!("the log holds a record this driver never wrote");
        };
        height = height.max(h + 1);
    }
    let mut out = std::io::stdout().lock();
    loop {
        for index in 0..1 + height % 5 {
            wal.append(height, &wal_record(height, index))?;
            writeln!(out, "ACK {height} {index}")?;
            out.flush()?;
        }
        if height % 3 == 0 {
            // A committed height: the records below the previous one are dropped.
            wal.prune_below(height - 1)?;
            writeln!(out, "PRUNED {}", height - 1)?;
            out.flush()?;
        }
        height += 1;
    }
}
