//! `handoff bench docs`: what notarizing costs a user and what checking a document costs
//! anyone. Documents notarized a second from real 1 MB files on disk — each read and
//! hashed, its `NotarizeDocument` signed, applied and durably committed — one document a
//! block (as `handoff doc notarize` and the app's Documents panel do) and in batches
//! (files hashed on all cores, up to `--batch` a block). Then the chain is filled to
//! `--docs` documents and `doc verify` is timed through the API (`NodeApi`: the record,
//! its Merkle proof against the newest certified header, the proof checked), for
//! registered documents and for hashes never registered (a proof of absence).

use crate::bench::{Bench, bar, machine, percentile, scratch, settle};
use anyhow::{Result, bail};
use clap::Args;
use handoff_api::{Caller, DocVerifyRequest, call_typed};
use handoff_core::certify::{DocKind, Notarize};
use handoff_core::limits::MAX_BLOCK_TXS;
use handoff_core::tx::{Payload, SignedTx};
use handoff_core::types::{Hash32, sha256};
use handoff_node::api::NodeApi;
use rayon::prelude::*;
use serde_json::{Value, json};
use sha2::Digest;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Options of `bench docs`.
#[derive(Args, Debug)]
pub struct DocsArgs {
    /// Documents on the chain when verify is timed.
    #[arg(long, default_value_t = 1_000_000)]
    pub docs: u64,
    /// Files notarized one a block, then again as many in batches.
    #[arg(long, default_value_t = 200)]
    pub files: usize,
    /// Size of each file, in MiB.
    #[arg(long, default_value_t = 1)]
    pub file_mib: usize,
    /// Documents a block in the batched run.
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Verifies timed, each of registered and of never-registered documents.
    #[arg(long, default_value_t = 2_000)]
    pub samples: usize,
    /// Where to put the store and the files (default: a temporary folder).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// SHA-256 of a file, read in 64 KiB pieces as `handoff doc notarize` reads it.
fn hash_file(path: &Path) -> Result<Hash32> {
    let mut f = std::fs::File::open(path)?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(Hash32(h.finalize().into()))
}

fn notarize(b: &mut Bench, hash: Hash32, title: String) -> Result<SignedTx> {
    b.sign_a(Payload::NotarizeDocument(Notarize {
        hash,
        kind: DocKind::Other,
        title,
        links: vec![],
    }))
}

/// The `i`-th filler document's hash (distinct from every file's: files hash random bytes).
fn filler(i: u64) -> Hash32 {
    sha256(&[b"bench filler document", &i.to_le_bytes()])
}

/// Microseconds of each `doc verify` of `hashes`, checking each answer.
fn time_verify(api: &NodeApi, hashes: &[Hash32], registered: bool) -> Result<Vec<f64>> {
    let who = Caller::local(None);
    let mut us = Vec::with_capacity(hashes.len());
    for h in hashes {
        let t = Instant::now();
        let r = call_typed(api, &who, DocVerifyRequest { hash: h.to_hex() })?;
        us.push(t.elapsed().as_secs_f64() * 1e6);
        if r.registered != registered || !r.proof.verified {
            bail!(
                "doc verify of {} answered registered={} verified={}, expected registered={registered}",
                h.short(),
                r.registered,
                r.proof.verified
            );
        }
    }
    us.sort_by(f64::total_cmp);
    Ok(us)
}

/// Runs the benchmark.
pub fn run(a: DocsArgs) -> Result<Value> {
    if a.files == 0 || a.file_mib == 0 || a.samples == 0 || a.batch == 0 || a.batch > MAX_BLOCK_TXS
    {
        bail!("need --files, --file-mib, --samples > 0 and 0 < --batch <= {MAX_BLOCK_TXS}");
    }
    if a.docs < 2 * a.files as u64 {
        bail!("--docs must be at least twice --files");
    }
    let dir = scratch(&a.dir)?;
    let files_dir = dir.path.join("files");
    std::fs::create_dir_all(&files_dir)?;
    let chain_dir = dir.path.join("node");
    let mut b = Bench::new(&chain_dir)?;

    // Real files on disk, random bytes (each file its own content).
    let size = a.file_mib << 20;
    let pb = bar(a.quiet, 2 * a.files as u64, "writing files");
    let paths: Vec<PathBuf> = (0..2 * a.files)
        .map(|i| {
            let p = files_dir.join(format!("doc-{i:05}.bin"));
            let mut bytes = vec![0u8; size];
            let mut state = sha256(&[b"bench file", &(i as u64).to_le_bytes()]).0;
            for chunk in bytes.chunks_mut(32) {
                state = sha256(&[&state]).0;
                chunk.copy_from_slice(&state[..chunk.len()]);
            }
            std::fs::write(&p, &bytes)?;
            pb.inc(1);
            Ok(p)
        })
        .collect::<Result<_>>()?;
    pb.finish_and_clear();
    let (single, batched) = paths.split_at(a.files);
    settle(&b)?;

    // Hashing alone, one core: the floor of what one document costs.
    let t = Instant::now();
    for p in single.iter().take(20.min(single.len())) {
        hash_file(p)?;
    }
    let hash_mib_s = (20.min(single.len()) * a.file_mib) as f64 / t.elapsed().as_secs_f64();

    // One document a block: read, hash, sign, commit durably, next.
    let pb = bar(a.quiet, a.files as u64, "notarizing one a block");
    let t = Instant::now();
    for (i, p) in single.iter().enumerate() {
        let h = hash_file(p)?;
        let tx = notarize(&mut b, h, format!("document {i}"))?;
        b.submit(vec![tx])?;
        pb.inc(1);
    }
    let single_s = t.elapsed().as_secs_f64();
    pb.finish_and_clear();

    // Batches: the files of a batch hashed on all cores, then one block.
    let pb = bar(a.quiet, a.files as u64, "notarizing in batches");
    let t = Instant::now();
    for (n, chunk) in batched.chunks(a.batch).enumerate() {
        let hashes: Vec<Hash32> = chunk
            .par_iter()
            .map(|p| hash_file(p))
            .collect::<Result<_>>()?;
        let txs = hashes
            .into_iter()
            .enumerate()
            .map(|(i, h)| notarize(&mut b, h, format!("batch {n} document {i}")))
            .collect::<Result<Vec<_>>>()?;
        b.submit(txs)?;
        pb.inc(chunk.len() as u64);
    }
    let batched_s = t.elapsed().as_secs_f64();
    pb.finish_and_clear();

    // Verify on the small chain, then fill to `docs` and verify again.
    let registered: Vec<Hash32> = single
        .iter()
        .take(a.samples.min(a.files))
        .map(|p| hash_file(p))
        .collect::<Result<_>>()?;
    let absent: Vec<Hash32> = (0..a.samples as u64)
        .map(|i| sha256(&[b"never registered", &i.to_le_bytes()]))
        .collect();
    let small_docs = 2 * a.files as u64;
    settle(&b)?;
    let api = NodeApi::ledger(&b.ledger);
    let pick = |n: usize| -> Vec<Hash32> {
        (0..a.samples)
            .map(|i| registered[i % registered.len().max(1)])
            .take(n)
            .collect()
    };
    let small_present = time_verify(&api, &pick(a.samples), true)?;
    let small_absent = time_verify(&api, &absent, false)?;

    let fill = a.docs - small_docs;
    let pb = bar(a.quiet, fill, "filling the chain");
    let t = Instant::now();
    let mut i = 0u64;
    while i < fill {
        let n = (fill - i).min(MAX_BLOCK_TXS as u64);
        let txs = (i..i + n)
            .map(|j| notarize(&mut b, filler(j), String::new()))
            .collect::<Result<Vec<_>>>()?;
        b.submit(txs)?;
        i += n;
        pb.inc(n);
    }
    let fill_s = t.elapsed().as_secs_f64();
    pb.finish_and_clear();
    settle(&b)?;
    let api = NodeApi::ledger(&b.ledger);
    // Registered: spread over the whole chain (fillers) and the files notarized first.
    let step = (fill / a.samples as u64).max(1);
    let mut present: Vec<Hash32> = (0..a.samples as u64)
        .map(|k| filler((k * step) % fill))
        .collect();
    present.extend(registered.iter().take(a.samples / 10));
    present.truncate(a.samples);
    let large_present = time_verify(&api, &present, true)?;
    let large_absent = time_verify(&api, &absent, false)?;
    Ok(json!({
        "bench": "docs",
        "file_mib": a.file_mib,
        "files": a.files,
        "hash_mib_per_s_one_core": hash_mib_s,
        "notarized_per_s_one_a_block": a.files as f64 / single_s,
        "notarize_ms_one_a_block": single_s * 1e3 / a.files as f64,
        "notarized_per_s_batched": a.files as f64 / batched_s,
        "batch": a.batch,
        "docs_small": small_docs,
        "docs_large": a.docs,
        "fill_docs_per_s": fill as f64 / fill_s,
        "samples": a.samples,
        "verify_registered_p50_us_small": percentile(&small_present, 0.5),
        "verify_registered_p99_us_small": percentile(&small_present, 0.99),
        "verify_absent_p50_us_small": percentile(&small_absent, 0.5),
        "verify_absent_p99_us_small": percentile(&small_absent, 0.99),
        "verify_registered_p50_us_large": percentile(&large_present, 0.5),
        "verify_registered_p99_us_large": percentile(&large_present, 0.99),
        "verify_absent_p50_us_large": percentile(&large_absent, 0.5),
        "verify_absent_p99_us_large": percentile(&large_absent, 0.99),
        "verify_p99_ratio_large_to_small": percentile(&large_present, 0.99) / percentile(&small_present, 0.99),
        "disk_bytes_large": b.ledger.store.size_on_disk(),
        "machine": machine(),
    }))
}
