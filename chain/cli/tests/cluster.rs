//! Four validators as separate `handoff node run --validator` processes on loopback TCP:
//! handoffs submitted through one node are committed and visible, with a verified proof
//! against a certified header, at every node; with one validator killed the chain goes
//! on; restarted, it catches up.

use crate::common;

use common::*;
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn four_validator_processes_commit_survive_a_crash_and_catch_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, made) = Cluster::testnet(&root);
    assert_eq!(made["nodes"].as_array().map(Vec::len), Some(4));
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    // A folder of a chain with four validators reads on its own but commits only
    // through its network.
    assert_eq!(ok(&n0, &["status"])["height"], 0);
    let (code, j, _) = handoff(
        &n0,
        &[
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Coffee",
        ],
    );
    assert_eq!(code, 1, "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("node run"),
        "{j}"
    );
    for i in 0..4 {
        c.start(i);
    }
    ok(
        &n0,
        &[
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Coffee",
        ],
    );
    ok(&n0, &["org", "add", "Shop", "--role", "retailer"]);
    let bag1 = format!("(01){g}(21)BAG1");
    let bag2 = format!("(01){g}(21)BAG2");
    ok(
        &n0,
        &["--as", "Registry", "item", "commission", &bag1, &bag2],
    );
    let offer = ok(
        &n0,
        &[
            "--as", "Registry", "handoff", "propose", "--to", "Shop", &bag1,
        ],
    );
    let id = offer["handoff"].as_str().expect("handoff id").to_string();
    let accepted = ok(&n0, &["--as", "Shop", "handoff", "accept", &id]);
    let h = accepted["height"].as_u64().expect("height");

    // Every node has the block and shows the handoff with a verified proof.
    for i in 0..4 {
        c.wait_height(i, h, Duration::from_secs(60));
        let item = item_at(&c, i, &bag1);
        assert_eq!(
            item["item"]["custodian"]["name"], "Shop",
            "node {i}: {item}"
        );
    }

    // One validator down: three of four still commit.
    c.kill(3);
    let offer = ok(
        &n0,
        &[
            "--as", "Registry", "handoff", "propose", "--to", "Shop", &bag2,
        ],
    );
    let id2 = offer["handoff"].as_str().expect("id").to_string();
    let done = ok(&n0, &["--as", "Shop", "handoff", "accept", &id2]);
    let h2 = done["height"].as_u64().expect("height");
    assert!(h2 > h);
    for i in 0..3 {
        c.wait_height(i, h2, Duration::from_secs(60));
        assert_eq!(item_at(&c, i, &bag2)["item"]["custodian"]["name"], "Shop");
    }

    // Restarted, it catches up from its peers and shows the handoff made while it was down.
    c.start(3);
    c.wait_height(3, h2, Duration::from_secs(90));
    assert_eq!(item_at(&c, 3, &bag2)["item"]["custodian"]["name"], "Shop");
    // And it votes again: with node 0 down, nodes 1, 2 and 3 commit.
    c.kill(0);
    let n1 = c.dir(1);
    let last = ok(
        &n1,
        &[
            "--as",
            "Registry",
            "item",
            "commission",
            &format!("(01){g}(21)BAG3"),
        ],
    );
    let h3 = last["height"].as_u64().expect("height");
    c.wait_height(3, h3, Duration::from_secs(60));
}

#[test]
fn a_validator_proposing_invalid_blocks_is_ignored_and_scored_down() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, made) = Cluster::testnet(&root);
    let faulty_key = made["nodes"][3]["validator"]
        .as_str()
        .expect("validator key")
        .to_string();
    for i in 0..3 {
        c.start(i);
    }
    // Node 3 proposes blocks with a wrong state root whenever it is its turn.
    c.start_with(3, &[("HANDOFF_FAULT_INVALID_BLOCKS", "1")]);
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    ok(
        &n0,
        &[
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Tea",
        ],
    );
    let mut proposers = std::collections::BTreeMap::new();
    let mut last = 0;
    for k in 0..8 {
        let r = ok(
            &n0,
            &[
                "--as",
                "Registry",
                "item",
                "commission",
                &format!("(01){g}(21)T{k}"),
            ],
        );
        last = r["height"].as_u64().expect("height");
        let s = node_status(&c, 0);
        proposers.insert(
            s["height"].as_u64().unwrap_or(0),
            s["tip_proposer"].to_string(),
        );
    }
    // Keep sampling tips until well past several turns of node 3 (round-robin proposers).
    let t = Instant::now();
    while node_status(&c, 1)["height"].as_u64().unwrap_or(0) < last + 8 {
        assert!(t.elapsed() < Duration::from_secs(90), "the chain stalled");
        for i in 0..3 {
            let s = node_status(&c, i);
            proposers.insert(
                s["height"].as_u64().unwrap_or(0),
                s["tip_proposer"].to_string(),
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        proposers.values().all(|p| !p.contains(&faulty_key)),
        "a block proposed by the faulty validator was committed: {proposers:?}"
    );
    for i in 0..3 {
        let s = node_status(&c, i);
        assert!(
            s["invalid_proposals"].as_u64().unwrap_or(0) > 0,
            "node {i}: {s}"
        );
        assert!(s["peer_reports"].as_u64().unwrap_or(0) > 0, "node {i}: {s}");
    }
    // Every honest node holds the same chain and shows the items with verified proofs.
    for i in 0..3 {
        item_at(&c, i, &format!("(01){g}(21)T7"));
    }
}

#[test]
fn a_two_two_split_commits_nothing_and_heals() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    ok(
        &root,
        &[
            "testnet",
            "--validators",
            "4",
            "--org",
            "Registry",
            "--prefix",
            "0614141",
        ],
    );
    let mut c = Cluster {
        root: root.clone(),
        ports: (0..4).map(|_| free_port()).collect(),
        procs: (0..4).map(|_| None).collect(),
    };
    for i in 0..4 {
        c.start(i);
    }
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    ok(
        &n0,
        &[
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Rice",
        ],
    );
    let peer = |i: usize| -> String {
        let f: Value =
            serde_json::from_slice(&std::fs::read(c.dir(i).join("node.json")).expect("node.json"))
                .expect("json");
        f["peer_id"].as_str().expect("peer id").to_string()
    };
    let ids: Vec<String> = (0..4).map(peer).collect();
    // Nodes 0 and 1 on one side, 2 and 3 on the other: each side refuses the other.
    let cut = |block: bool| {
        for (a, b) in [(0, 2), (0, 3), (1, 2), (1, 3)] {
            let verb = if block { "block" } else { "unblock" };
            ok(&c.dir(a), &["node", verb, &ids[b]]);
            ok(&c.dir(b), &["node", verb, &ids[a]]);
        }
    };
    cut(true);
    std::thread::sleep(Duration::from_secs(1));
    let frozen = (0..4).map(|i| c.height(i)).max().unwrap_or(0);
    let mut pending = Command::new(bin())
        .arg("--data")
        .arg(&n0)
        .args(["--json", "--as", "Registry", "item", "commission"])
        .arg(format!("(01){g}(21)SPLIT1"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(8) {
        for i in 0..4 {
            assert!(
                c.height(i) <= frozen,
                "node {i} committed a block with only two of four validators"
            );
        }
        assert!(
            pending.try_wait().expect("wait").is_none(),
            "a transaction committed during the split"
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    cut(false);
    let t = Instant::now();
    let status = loop {
        if let Some(s) = pending.try_wait().expect("wait") {
            break s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(90),
            "the network did not heal"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = pending.wait_with_output().expect("output");
    assert!(status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let j: Value = serde_json::from_slice(&out.stdout).expect("json");
    let h = j["height"].as_u64().expect("height");
    assert!(h > frozen);
    for i in 0..4 {
        c.wait_height(i, h, Duration::from_secs(60));
        item_at(&c, i, &format!("(01){g}(21)SPLIT1"));
    }
}

#[test]
fn a_validator_whose_store_fails_reads_stops_and_reports_then_catches_up() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    for i in 0..4 {
        c.start(i);
    }
    let n0 = c.dir(0);
    let n3 = c.dir(3);
    let g = gtin("0061414100001");
    let bag = format!("(01){g}(21)BAG1");
    ok(
        &n0,
        &[
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Cocoa",
        ],
    );
    let h1 = ok(&n0, &["--as", "Registry", "item", "commission", &bag])["height"]
        .as_u64()
        .expect("height");
    for i in 0..4 {
        c.wait_height(i, h1, Duration::from_secs(60));
    }

    // Node 3's disk now fails every read of the bag's record.
    let key = handoff_core::state::StateKey::Item(format!("/01/{g}/21/BAG1")).to_bytes();
    c.kill(3);
    c.start_with(3, &[("HANDOFF_FAULT_READ_KEYS", &hex::encode(key))]);
    // Its queries say so instead of "never commissioned" or "counterfeit".
    for args in [
        vec!["item", "show", bag.as_str()],
        vec!["verify", bag.as_str()],
    ] {
        let (code, j, _) = handoff(&n3, &args);
        assert_eq!(code, 1, "{args:?}: {j}");
        assert_eq!(j["error"]["code"], "STORE_FAULT", "{args:?}: {j}");
    }

    // The bag commissioned again: the ledger refuses it (the other nodes read the bag).
    // Node 3 cannot execute that block: it must neither vote for it on a guess nor
    // commit a state in which the bag was commissioned twice.
    let (code, j, _) = handoff(&n0, &["--as", "Registry", "item", "commission", &bag]);
    assert_eq!(code, 3, "{j}");
    assert_eq!(j["error"]["code"], "ALREADY_COMMISSIONED", "{j}");
    let mut last = 0;
    for k in 0..4 {
        last = ok(
            &n0,
            &[
                "--as",
                "Registry",
                "item",
                "commission",
                &format!("(01){g}(21)AFTER{k}"),
            ],
        )["height"]
            .as_u64()
            .expect("height");
    }
    // The other three keep committing one chain, each showing it with certified proofs.
    for i in 0..3 {
        c.wait_height(i, last, Duration::from_secs(60));
        let item = item_at(&c, i, &format!("(01){g}(21)AFTER3"));
        assert_eq!(item["item"]["custodian"]["name"], "Registry", "node {i}");
        let s = node_status(&c, i);
        assert_eq!(s["invalid_proposals"], 0, "node {i} blamed a proposer: {s}");
    }
    // Node 3 stopped below that block and reports why; it blamed no proposer.
    let stuck = c.height(3);
    assert!(
        stuck < last,
        "node 3 went on to {stuck} on a store that fails reads"
    );
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        c.height(3),
        stuck,
        "node 3 committed blocks it could not execute"
    );
    let s = node_status(&c, 3);
    eprintln!("node 3 while its store fails reads: {s}");
    assert!(s["store_faults"].as_u64().unwrap_or(0) > 0, "{s}");
    assert!(
        s["last_store_fault"]
            .as_str()
            .unwrap_or_default()
            .contains("BAG1"),
        "{s}"
    );
    assert_eq!(
        s["invalid_proposals"], 0,
        "a sound proposal was called invalid: {s}"
    );

    // The disk repaired (restarted without the fault), node 3 catches up to the same
    // chain: every block it takes must match its certified header's state root.
    c.kill(3);
    c.start(3);
    c.wait_height(3, last, Duration::from_secs(90));
    let item = item_at(&c, 3, &bag);
    assert_eq!(item["item"]["commissioned_by"]["name"], "Registry");
    assert_eq!(item["item"]["commissioned_height"], h1);
    item_at(&c, 3, &format!("(01){g}(21)AFTER3"));
    assert_eq!(node_status(&c, 3)["store_faults"], 0);
}
