//! `handoff bench epcis`: a large EPCIS 2.0 document imported into a fresh chain (real
//! sled on disk, real signatures, durable blocks) by `handoff epcis import` run as a
//! child process, at several document sizes, so that the figures show the import's peak
//! memory does not grow with the document.
//!
//! The document is a farm's days: per group of four serialized bags, one commissioning
//! ObjectEvent ADD (the four SGTINs of the bench's product), one AggregationEvent ADD
//! packing them onto a pallet (SSCC), one inspecting ObjectEvent OBSERVE with a
//! temperature reading, one shipping ObjectEvent of the pallet to a second org. Peak
//! memory is the child's `VmHWM` (from `/proc/PID/status`, sampled every 5 ms while it
//! runs: the high-water mark only grows, so the last sample is the peak up to 5 ms
//! before the end).
//!
//! To tell the document's share of memory from the chain's, each chain that an import
//! filled then takes a probe: a further document of a fixed size (`--probe`, [`PROBE_EVENTS`] events) (new
//! pallets, later times) imported the same way. A streaming import's peak follows the
//! chain it writes into, not the document it reads: the probe into a chain of N events
//! should peak where the N-event import did.

use crate::bench::machine;
use anyhow::{Context, Result, bail};
use clap::Args;
use handoff_core::gs1::check_digit;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Options of `bench epcis`.
#[derive(Args, Debug)]
pub struct EpcisBenchArgs {
    /// Events of the largest document; documents of a tenth and a half of it are
    /// imported first (each into its own fresh chain).
    #[arg(long, default_value_t = 100_000)]
    pub events: usize,
    /// Where to put the documents and chains (default: a temporary folder, removed
    /// afterwards).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Events of the probe document imported into each chain once its import is done.
    #[arg(long, default_value_t = PROBE_EVENTS)]
    pub probe: usize,
    /// No progress output.
    #[arg(long)]
    pub quiet: bool,
}

const FARM_GLN: &str = "0614141000005";
const STORE_PREFIX: &str = "0614142";
const BAGS_PER_PALLET: usize = 4;
/// Events of the probe document imported into each filled chain, unless `--probe` says.
pub const PROBE_EVENTS: usize = 5_000;

fn with_check(d: &str) -> String {
    format!("{d}{}", check_digit(d).unwrap_or(0))
}

/// The `handoff` binary (this one).
fn me() -> Result<PathBuf> {
    std::env::current_exe().context("cannot find the handoff binary")
}

/// Runs `handoff --data DIR ARGS…` to completion, failing on a non-zero exit.
fn handoff(dir: &Path, args: &[&str]) -> Result<()> {
    let out = Command::new(me()?)
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .context("running handoff")?;
    if !out.status.success() {
        bail!(
            "handoff {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// A fresh chain in `dir`: the farm (brand owner of the product, a GLN) and the store it
/// ships to (its own GLN). Returns the product's GTIN and the store's GLN.
fn chain(dir: &Path) -> Result<(String, String)> {
    handoff(
        dir,
        &[
            "init",
            "--org",
            "Bench Farm",
            "--prefix",
            "0614141",
            "--gln",
            FARM_GLN,
        ],
    )?;
    let store_gln = with_check(&format!("{STORE_PREFIX}00000"));
    handoff(
        dir,
        &[
            "org",
            "add",
            "Bench Store",
            "--prefix",
            STORE_PREFIX,
            "--gln",
            &store_gln,
        ],
    )?;
    let gtin = with_check("0061414100001");
    handoff(
        dir,
        &[
            "product",
            "define",
            "--gtin",
            &gtin,
            "--name",
            "Green beans 60 kg",
        ],
    )?;
    Ok((gtin, store_gln))
}

/// Writes a JSON-LD document of `events` events to `path`, event by event (never held
/// whole), numbering them from `first` on (a later document continues an earlier one:
/// new pallets, later times); returns its size in bytes.
fn write_document(
    path: &Path,
    first: usize,
    events: usize,
    gtin: &str,
    store_gln: &str,
) -> Result<u64> {
    let f = std::fs::File::create(path).with_context(|| format!("{}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
    write!(
        w,
        r#"{{"@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",{{"ex":"https://ns.example.com/epcis/"}}],
"type":"EPCISDocument","schemaVersion":"2.0","creationDate":"2026-06-01T00:00:00Z",
"epcisBody":{{"eventList":["#
    )?;
    let loc = format!(r#"{{"id":"https://id.gs1.org/414/{FARM_GLN}"}}"#);
    for i in first..first + events {
        let group = i / 4;
        // One second per event from 2026-06-01 on.
        let t = 1_780_272_000 + i as i64;
        let s = t.rem_euclid(86_400);
        let (y, m, day) = handoff_core::query::civil_date(t * 1000);
        let time = format!(
            "{y:04}-{m:02}-{day:02}T{:02}:{:02}:{:02}+00:00",
            s / 3600,
            s / 60 % 60,
            s % 60
        );
        let head = format!(
            r#"{{"type":"{}","eventTime":"{time}","eventTimeZoneOffset":"+00:00""#,
            if i % 4 == 1 {
                "AggregationEvent"
            } else {
                "ObjectEvent"
            }
        );
        let bags: Vec<String> = (0..BAGS_PER_PALLET)
            .map(|b| format!(r#""https://id.gs1.org/01/{gtin}/21/B{group}-{b}""#))
            .collect();
        let bags = bags.join(",");
        let sscc = with_check(&format!("10614141{group:09}"));
        let pallet = format!("https://id.gs1.org/00/{sscc}");
        if i > first {
            w.write_all(b",\n")?;
        }
        match i % 4 {
            0 => write!(
                w,
                r#"{head},"epcList":[{bags}],"action":"ADD","bizStep":"commissioning","disposition":"active","bizLocation":{loc},"ex:harvest":"2026-05"}}"#
            )?,
            1 => write!(
                w,
                r#"{head},"parentID":"{pallet}","childEPCs":[{bags}],"action":"ADD","bizStep":"packing","disposition":"in_progress","bizLocation":{loc}}}"#
            )?,
            2 => write!(
                w,
                r#"{head},"epcList":["{pallet}"],"action":"OBSERVE","bizStep":"inspecting","readPoint":{loc},"sensorElementList":[{{"sensorReport":[{{"type":"Temperature","value":{}.5,"uom":"CEL"}}]}}]}}"#,
                18 + group % 5
            )?,
            _ => write!(
                w,
                r#"{head},"epcList":["{pallet}"],"action":"OBSERVE","bizStep":"shipping","disposition":"in_transit","sourceList":[{{"type":"owning_party","source":"https://id.gs1.org/417/{FARM_GLN}"}}],"destinationList":[{{"type":"owning_party","destination":"https://id.gs1.org/417/{store_gln}"}},{{"type":"possessing_party","destination":"https://id.gs1.org/417/{store_gln}"}}]}}"#
            )?,
        }
    }
    w.write_all(b"]}}\n")?;
    w.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// The high-water mark of a process's resident memory, KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

/// One size: a fresh chain, the document written, imported by a child process; then the
/// probe document imported into the chain it filled.
fn one(root: &Path, events: usize, probe_events: usize, quiet: bool) -> Result<Value> {
    let dir = root.join(format!("chain-{events}"));
    std::fs::create_dir_all(&dir)?;
    let (gtin, store_gln) = chain(&dir)?;
    let doc = root.join(format!("events-{events}.jsonld"));
    let bytes = write_document(&doc, 0, events, &gtin, &store_gln)?;
    if !quiet {
        eprintln!("importing {events} events ({bytes} bytes)…");
    }
    let main = import(
        &dir,
        &doc,
        events,
        &root.join(format!("report-{events}.json")),
    )?;
    let probe_doc = root.join(format!("probe-{events}.jsonld"));
    write_document(&probe_doc, events, probe_events, &gtin, &store_gln)?;
    if !quiet {
        eprintln!("importing the {probe_events}-event probe into that chain…");
    }
    let probe = import(
        &dir,
        &probe_doc,
        probe_events,
        &root.join(format!("probe-report-{events}.json")),
    )?;
    Ok(json!({
        "events": events,
        "document_bytes": bytes,
        "committed": main.committed,
        "blocks": main.blocks,
        "wall_s": (main.wall * 100.0).round() / 100.0,
        "events_per_s": (main.committed as f64 / main.wall).round(),
        "peak_rss_kib": main.peak_kib,
        "probe": {
            "events": probe_events,
            "chain_events_before": events,
            "wall_s": (probe.wall * 100.0).round() / 100.0,
            "events_per_s": (probe.committed as f64 / probe.wall).round(),
            "peak_rss_kib": probe.peak_kib,
        },
    }))
}

/// What one child import did.
struct Imported {
    committed: u64,
    blocks: Value,
    wall: f64,
    peak_kib: u64,
}

/// `handoff epcis import` of `doc` into `dir` as a child process, its peak memory
/// sampled; every one of the `events` events must be committed.
fn import(dir: &Path, doc: &Path, events: usize, report: &Path) -> Result<Imported> {
    let t = Instant::now();
    let mut child = Command::new(me()?)
        .arg("--data")
        .arg(dir)
        .args(["--json", "--as", "Bench Farm", "epcis", "import"])
        .arg(doc)
        .stdout(std::fs::File::create(report)?)
        .stderr(Stdio::piped())
        .spawn()
        .context("running handoff epcis import")?;
    let mut peak = 0;
    let status = loop {
        if let Some(k) = vm_hwm_kib(child.id()) {
            peak = peak.max(k);
        }
        if let Some(s) = child.try_wait()? {
            break s;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let wall = t.elapsed().as_secs_f64();
    let text = std::fs::read_to_string(report)?;
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut err);
        }
        bail!(
            "the import of {events} events failed ({status}): {err} {}",
            text.lines().last().unwrap_or_default()
        );
    }
    let r: Value = serde_json::from_str(&text).context("the import's report is not JSON")?;
    let committed = r["committed"].as_u64().unwrap_or(0);
    let reported = r["events"].as_array().map_or(0, Vec::len);
    if committed != events as u64 || reported != events {
        bail!("{committed} of {events} events committed ({reported} reported)");
    }
    Ok(Imported {
        committed,
        blocks: r["blocks"].clone(),
        wall,
        peak_kib: peak,
    })
}

/// Runs the benchmark.
pub fn run(a: EpcisBenchArgs) -> Result<Value> {
    if a.events < 10 {
        bail!("--events is at least 10");
    }
    if a.probe == 0 {
        bail!("--probe is at least 1");
    }
    let tmp;
    let root = match &a.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir()?;
            tmp.path().to_path_buf()
        }
    };
    let mut sizes = vec![a.events / 10, a.events / 2, a.events];
    sizes.dedup();
    let mut runs = Vec::new();
    for n in sizes {
        runs.push(one(&root, n, a.probe, a.quiet)?);
    }
    Ok(json!({
        "bench": "epcis",
        "what": "handoff epcis import of a JSON-LD document (commission, pack, inspect, ship; 4 bags a pallet) into a fresh chain, as a child process; then a probe document of a fixed size into the chain it filled",
        "runs": runs,
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
        "machine": machine(),
    }))
}
