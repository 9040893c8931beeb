//! Power cuts during commits, on a disk that drops everything not synced (see the crate
//! docs for the model). Each test runs Handoff's own code in a driver process, cuts the
//! power at a seeded random moment while it commits, and checks after every cut that
//! what was acknowledged is there and that the state reopens cleanly:
//!
//! - the embedded ledger (`handoff load` through the real command line, small blocks and
//!   blocks large enough for sled's blob files): every acknowledged transaction is in a
//!   committed block, and the chain replays to the same state root at every height;
//! - the light node's outbox: every entry acknowledged as queued is there with its
//!   transaction, entries stay numbered without gaps and nonces are never reused, and an
//!   acknowledged status change is kept;
//! - the consensus write-ahead log: every acknowledged record at or above the last
//!   acknowledged prune is there, in order, and nothing below it;
//! - a validator node (`handoff node run`, committing through consensus with its
//!   write-ahead log): every transaction it acknowledged is in a block, the chain replays,
//!   and the node starts again after every cut and goes on committing.

mod common;

use common::{Rig, Rng, driver, handoff, start_node};
use handoff_core::tx::SignedTx;
use handoff_core::types::Hash32;
use handoff_node::light::{LightStore, OutboxStatus};
use handoff_node::wal::Wal;
use handoff_powerloss::workload::{OUTBOX_SIGNER_SEED, outbox_genesis, parse_wal_record};
use handoff_store::{Store, replay_block};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;

/// Power cuts per test (the brief asks for at least 20 during commits).
const CUTS: usize = 20;

fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}

/// Every transaction id in the committed blocks of the store at `chain`.
fn committed_ids(store: &Store) -> HashSet<Hash32> {
    let head = store.last_header().expect("head");
    let mut ids = HashSet::new();
    for h in 1..=head.height {
        let block = store.block(h).expect("read").expect("block");
        for w in &block.txs {
            ids.insert(SignedTx::decode(w).expect("committed tx decodes").id());
        }
    }
    ids
}

/// Replays every block into an empty store: the same state root at every height.
fn assert_replays(chain: &Path) -> u64 {
    let store = Store::open(chain).expect("open");
    store.check_head().expect("head is whole");
    let head = store.last_header().expect("head");
    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let fresh = Store::open(fresh_dir.path()).expect("fresh store");
    let g = store.block(0).expect("read").expect("genesis block");
    fresh
        .init(&store.genesis().expect("genesis"), g.header.proposer)
        .expect("init");
    for h in 1..=head.height {
        let block = store.block(h).expect("read").expect("block");
        replay_block(&fresh, &block).unwrap_or_else(|e| panic!("replay of block {h}: {e}"));
        assert_eq!(
            fresh.tree_root(h).expect("root"),
            block.header.state_root,
            "state root differs at height {h}"
        );
    }
    assert_eq!(fresh.last_header().expect("head").hash(), head.hash());
    head.height
}

#[test]
fn power_cuts_during_ledger_commits_lose_no_acknowledged_transaction() {
    let mut rng = Rng::seeded(
        "power_cuts_during_ledger_commits_lose_no_acknowledged_transaction",
        0x4841_4e44_4f46_4601,
    );
    let mut rig = Rig::new();
    let data = rig.path("node");
    let d = data.to_str().expect("utf-8 path");
    // Setup is not under test: a chain, the load's second org, then `sync`.
    handoff(&[
        "--data",
        d,
        "init",
        "--org",
        "Power Cut Roasters",
        "--prefix",
        "0614141",
    ]);
    handoff(&["--data", d, "load", "--items", "8", "--rounds", "1"]);
    rig.disk().sync_everything();

    let mut acked: Vec<Hash32> = Vec::new();
    for cut in 0..CUTS {
        // Every fourth run commits handoffs of 1,000 items: parts of their blocks are too
        // large for sled's log and go to its blob files, a second write path to cut
        // through (few such runs: each grows the store by megabytes).
        let big = cut % 4 == 1;
        let mut cmd = driver();
        cmd.args([
            "handoff",
            "--data",
            d,
            "load",
            "--items",
            if big { "1000" } else { "8" },
        ]);
        let wanted = 3 + rng.below(if big { 6 } else { 30 }) as usize;
        let lines = rig.run_and_cut(cmd, wanted, &mut rng);
        acked.extend(lines.iter().filter_map(|l| match words(l)[..] {
            ["ACK", id, ..] => Hash32::from_hex(id),
            _ => None,
        }));
        // The folder reopens after the cut and a command works on it.
        let status = handoff(&["--data", d, "--json", "status"]);
        assert!(status.contains("height"), "cut {cut}: status: {status}");
        let store = Store::open(&data.join("chain")).expect("open after the cut");
        store.check_head().expect("the last block is whole");
        let committed = committed_ids(&store);
        for id in &acked {
            assert!(
                committed.contains(id),
                "cut {cut}: acknowledged transaction {} is missing after the power cut",
                id.to_hex()
            );
        }
    }
    rig.unmount();
    let height = assert_replays(&rig.backing().join("node").join("chain"));
    rig.report(&format!(
        "{} acknowledged transactions, {height} blocks",
        acked.len()
    ));
}

#[test]
fn power_cuts_while_queueing_lose_no_outbox_entry() {
    let mut rng = Rng::seeded(
        "power_cuts_while_queueing_lose_no_outbox_entry",
        0x4841_4e44_4f46_4602,
    );
    let mut rig = Rig::new();
    let data = rig.path("light-node");
    std::fs::create_dir(&data).expect("folder");
    drop(LightStore::create(&data, &outbox_genesis()).expect("create the light store"));
    rig.disk().sync_everything();

    let signer = handoff_core::crypto::Keypair::from_secret(OUTBOX_SIGNER_SEED).public();
    let mut acked: BTreeMap<u64, String> = BTreeMap::new();
    let mut submitted: BTreeSet<u64> = BTreeSet::new();
    for cut in 0..CUTS {
        let mut cmd = driver();
        cmd.arg("outbox").arg(&data);
        let wanted = 2 + rng.below(20) as usize;
        for line in rig.run_and_cut(cmd, wanted, &mut rng) {
            match words(&line)[..] {
                ["ACK", seq, id, _nonce] => {
                    acked.insert(seq.parse().expect("seq"), id.to_string());
                }
                ["SUBMITTED", seq] => {
                    submitted.insert(seq.parse().expect("seq"));
                }
                _ => {}
            }
        }
        let store = LightStore::open(&data).expect("the light store opens after the cut");
        let entries = store.entries().expect("outbox");
        for (i, e) in entries.iter().enumerate() {
            assert_eq!(e.seq, i as u64 + 1, "cut {cut}: outbox numbering has a gap");
            assert_eq!(e.signer, signer);
            assert_eq!(
                e.nonce, i as u64,
                "cut {cut}: entry {} has nonce {} (a nonce reused or skipped)",
                e.seq, e.nonce
            );
        }
        for (seq, id) in &acked {
            let e = entries.iter().find(|e| e.seq == *seq).unwrap_or_else(|| {
                panic!("cut {cut}: acknowledged outbox entry {seq} is missing after the power cut")
            });
            assert_eq!(
                &e.id.to_hex(),
                id,
                "cut {cut}: entry {seq} holds another transaction"
            );
            assert_eq!(
                SignedTx::decode(&e.tx).expect("queued tx decodes").id(),
                e.id
            );
        }
        for seq in &submitted {
            let e = entries.iter().find(|e| e.seq == *seq).expect("entry");
            assert_eq!(
                e.status,
                OutboxStatus::Submitted,
                "cut {cut}: entry {seq}'s acknowledged status change was lost"
            );
        }
    }
    rig.report(&format!("{} acknowledged entries", acked.len()));
}

#[test]
fn power_cuts_while_logging_lose_no_acknowledged_consensus_record() {
    let mut rng = Rng::seeded(
        "power_cuts_while_logging_lose_no_acknowledged_consensus_record",
        0x4841_4e44_4f46_4603,
    );
    let mut rig = Rig::new();
    let data = rig.path("validator");
    std::fs::create_dir(&data).expect("folder");
    rig.disk().sync_everything();

    let mut acked: BTreeSet<(u64, u64)> = BTreeSet::new();
    let mut pruned = 0u64;
    for cut in 0..CUTS {
        let mut cmd = driver();
        cmd.arg("wal").arg(&data);
        let wanted = 3 + rng.below(40) as usize;
        for line in rig.run_and_cut(cmd, wanted, &mut rng) {
            match words(&line)[..] {
                ["ACK", h, i] => {
                    acked.insert((h.parse().expect("height"), i.parse().expect("index")));
                }
                ["PRUNED", h] => pruned = pruned.max(h.parse().expect("height")),
                _ => {}
            }
        }
        let wal = Wal::open(&data).expect("the log reopens after the cut");
        let records: Vec<(u64, u64)> = wal
            .records()
            .iter()
            .map(|r| {
                parse_wal_record(r)
                    .unwrap_or_else(|| panic!("cut {cut}: a record in the log is damaged"))
            })
            .collect();
        assert!(
            records.windows(2).all(|w| w[0] < w[1]),
            "cut {cut}: records out of order or repeated: {records:?}"
        );
        // A prune the driver did not live to acknowledge may have happened: the log then
        // starts at its height. The driver prunes below `h - 1` only after acknowledging
        // every record of `h`, for `h` a multiple of 3, so the log may start no later than
        // that; and never below an acknowledged prune.
        let max_acked = acked.last().map_or(0, |(h, _)| *h);
        let latest_possible = (1..=max_acked)
            .rev()
            .find(|h| h % 3 == 0)
            .map_or(pruned, |h| (h - 1).max(pruned));
        let floor = records.first().map(|(h, _)| *h);
        if !acked.is_empty() {
            let floor = floor.unwrap_or_else(|| panic!("cut {cut}: the log lost every record"));
            assert!(
                (pruned..=latest_possible).contains(&floor),
                "cut {cut}: the log starts at height {floor}, outside {pruned}..={latest_possible}: {records:?}"
            );
            let held: BTreeSet<(u64, u64)> = records.iter().copied().collect();
            for r in acked.iter().filter(|(h, _)| *h >= floor) {
                assert!(
                    held.contains(r),
                    "cut {cut}: acknowledged record {r:?} is missing after the power cut (held: {records:?})"
                );
            }
        }
    }
    rig.report(&format!(
        "{} acknowledged records, pruned below {pruned}",
        acked.len()
    ));
}

/// Power cuts on a running validator node (`handoff node run --validator`, a chain with one
/// validator so it commits alone, through consensus and its write-ahead log).
const NODE_CUTS: usize = 10;

#[test]
fn a_validator_node_restarts_after_power_cuts_and_keeps_what_it_committed() {
    let mut rng = Rng::seeded(
        "a_validator_node_restarts_after_power_cuts_and_keeps_what_it_committed",
        0x4841_4e44_4f46_4604,
    );
    let mut rig = Rig::new();
    let data = rig.path("validator");
    let d = data.to_str().expect("utf-8 path");
    let body = "0061414100001";
    let gtin = format!(
        "{body}{}",
        handoff_core::gs1::check_digit(body).expect("check digit")
    );
    handoff(&[
        "--data",
        d,
        "init",
        "--org",
        "Power Cut Mill",
        "--prefix",
        "0614141",
    ]);
    handoff(&[
        "--data", d, "product", "define", "--gtin", &gtin, "--name", "Flour",
    ]);
    rig.disk().sync_everything();

    let mut acked: Vec<Hash32> = Vec::new();
    for cut in 0..NODE_CUTS {
        // The node starts on what the last cut left (its store and consensus log) ...
        let node = start_node(&data);
        // ... and commits again: acknowledged transactions arrive before the next cut.
        let mut cmd = driver();
        cmd.args(["node-load", d, &gtin]);
        let wanted = 2 + rng.below(15) as usize;
        let lines = rig.run_and_cut_with(cmd, wanted, &mut rng, vec![node]);
        acked.extend(lines.iter().filter_map(|l| match words(l)[..] {
            ["ACK", id] => Hash32::from_hex(id),
            _ => None,
        }));
        let store = Store::open(&data.join("chain")).expect("open after the cut");
        store.check_head().expect("the last block is whole");
        let committed = committed_ids(&store);
        for id in &acked {
            assert!(
                committed.contains(id),
                "cut {cut}: transaction {} acknowledged by the node is missing after the power cut",
                id.to_hex()
            );
        }
    }
    // The node comes up once more after the last cut.
    let mut node = start_node(&data);
    let _ = node.kill();
    let _ = node.wait();
    rig.unmount();
    let height = assert_replays(&rig.backing().join("validator").join("chain"));
    rig.report(&format!(
        "{} acknowledged transactions, {height} blocks",
        acked.len()
    ));
}
