//! A light node over real sockets: four validator processes on loopback TCP, a light
//! folder trusting node 0's genesis and signing as the registrar, 100 commissions queued
//! while offline, then submitted by `handoff light run`, which is killed mid-way and
//! restarted: every scan is committed exactly once, in nonce order. Then a handoff
//! offered at the light node is committed and shown, with a verified proof, at every
//! validator.

mod common;

use common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running `handoff light run`.
fn start_light(dir: &Path, ports: &[u16], log: &Path, max_inflight: usize) -> Child {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(dir)
        .args(["light", "run", "--no-mdns", "--max-inflight"])
        .arg(max_inflight.to_string());
    for p in ports {
        cmd.arg("--peer").arg(format!("/ip4/127.0.0.1/tcp/{p}"));
    }
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log");
    spawn_ready(&mut cmd, log, "light node")
}

fn outbox(dir: &Path) -> Value {
    ok(dir, &["light", "outbox"])
}

fn committed(o: &Value) -> usize {
    o["entries"]
        .as_array()
        .map(|es| es.iter().filter(|e| e["status"] == "committed").count())
        .unwrap_or(0)
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let t = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.wait();
}

struct Light(Option<Child>, PathBuf);

impl Drop for Light {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.1).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(40).collect();
            eprintln!("--- light log (newest first) ---\n{}", tail.join("\n"));
        }
    }
}

#[test]
fn light_node_submits_an_offline_outbox_in_order_across_a_crash() {
    let t0 = Instant::now();
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
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Coffee",
        ],
    );
    // The retailer the light node hands an item to at the end.
    let shop = ok(&n0, &["org", "add", "Shop", "--role", "retailer"]);
    let shop_key = shop["org"].as_str().expect("shop key").to_string();
    // The genesis, read through node 0's gateway.
    let genesis = ok(&n0, &["genesis"]);
    let hex = genesis["genesis"]
        .as_str()
        .expect("genesis hex")
        .to_string();

    let light = root.join("light");
    let log = root.join("light.log");
    let made = ok(
        &light,
        &[
            "--as",
            "Registry",
            "light",
            "init",
            "--genesis",
            &hex,
            "--org-key-from",
            n0.to_str().expect("path"),
        ],
    );
    assert_eq!(made["chain_id"], genesis["chain_id"]);
    let mut guard = Light(None, log.clone());

    // Online once: the light node learns (with a proof) that the registrar's next nonce
    // is 2 (the product definition took 0, admitting the retailer 1).
    guard.0 = Some(start_light(&light, &c.ports, &log, 4));
    wait_for("the account nonce", Duration::from_secs(60), || {
        outbox(&light)["account_nonce"] == 2
    });
    terminate(guard.0.as_mut().expect("light"));
    guard.0 = None;

    // Offline: 100 commissions, one item each, in four commands.
    let scans: Vec<String> = (0..100).map(|i| format!("(01){g}(21)L{i:03}")).collect();
    let mut nonces = Vec::new();
    for chunk in scans.chunks(25) {
        let mut args = vec!["light", "commission"];
        args.extend(chunk.iter().map(String::as_str));
        let q = ok(&light, &args);
        for e in q["queued"].as_array().expect("queued") {
            nonces.push(e["nonce"].as_u64().expect("nonce"));
        }
    }
    assert_eq!(nonces, (2..=101).collect::<Vec<u64>>());
    let o = outbox(&light);
    assert_eq!(o["running"], false);
    assert_eq!(o["entries"].as_array().map(Vec::len), Some(100));
    assert!(
        o["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .all(|e| e["status"] == "pending")
    );
    eprintln!("queued offline after {:?}", t0.elapsed());

    // Online, a few in flight at a time; killed once some (not all) are committed.
    guard.0 = Some(start_light(&light, &c.ports, &log, 4));
    let mut seen = 0;
    wait_for("some commits", Duration::from_secs(120), || {
        seen = committed(&outbox(&light));
        seen >= 8
    });
    let mut child = guard.0.take().expect("light");
    let _ = child.kill();
    let _ = child.wait();
    let after_kill = outbox(&light);
    let kept = committed(&after_kill);
    assert!(
        kept >= seen,
        "{kept} committed after the crash, {seen} before"
    );
    assert!(
        kept < 100,
        "all committed before the crash: nothing was tested"
    );
    eprintln!("killed with {kept}/100 committed after {:?}", t0.elapsed());

    // Restarted: it finishes the outbox.
    guard.0 = Some(start_light(&light, &c.ports, &log, 16));
    let mut last = Value::Null;
    wait_for("all 100 committed", Duration::from_secs(180), || {
        last = outbox(&light);
        committed(&last) == 100
    });
    eprintln!("all committed after {:?}", t0.elapsed());
    let entries = last["entries"].as_array().expect("entries").clone();
    assert_eq!(entries.len(), 100);
    let mut prev_height = 0;
    let mut ids = std::collections::HashSet::new();
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"].as_u64(), Some(i as u64 + 1), "{e}");
        assert_eq!(e["nonce"].as_u64(), Some(i as u64 + 2), "{e}");
        assert_eq!(e["status"], "committed", "{e}");
        let h = e["height"].as_u64().expect("height");
        assert!(h >= prev_height, "entry {i} at {h} before {prev_height}");
        prev_height = h;
        assert!(ids.insert(e["tx"].as_str().expect("tx").to_string()), "{e}");
    }

    // The chain agrees: the registrar signed exactly 102 transactions (the product, the
    // retailer's admission and the 100 commissions), every one applied, and node 1
    // proves the last item.
    let n1 = c.dir(1);
    c.wait_height(1, prev_height, Duration::from_secs(60));
    let logj = ok(&n1, &["org", "log", "Registry", "--limit", "1000"]);
    let txs = logj["transactions"].as_array().expect("transactions");
    assert_eq!(txs.len(), 102, "{logj}");
    assert!(txs.iter().all(|t| t["rejected"].is_null()), "{logj}");
    for e in &entries {
        assert_eq!(
            txs.iter().filter(|t| t["tx"] == e["tx"]).count(),
            1,
            "{e} on the chain"
        );
    }
    let lastscan = scans.last().expect("scan");
    let shown = ok(&n1, &["item", "show", lastscan, "--proof"]);
    assert_eq!(shown["proof"]["verified"], true, "{shown}");
    assert_eq!(shown["proof"]["certified"], true, "{shown}");
    // And the light node reads it with a proof of its own.
    let mine = ok(&light, &["light", "show", lastscan]);
    assert_eq!(mine["verified"], true, "{mine}");
    assert_eq!(mine["item"]["record"], "item", "{mine}");

    // A handoff submitted at the light node is committed, and every validator shows the
    // open offer with a verified proof against a certified header; accepted at node 0,
    // every validator shows the new custodian the same way.
    let offer = ok(&light, &["light", "propose", "--to", &shop_key, lastscan]);
    let offer_tx = offer["queued"][0]["tx"]
        .as_str()
        .expect("queued offer")
        .to_string();
    let mut offered = Value::Null;
    wait_for("the offer committed", Duration::from_secs(120), || {
        let o = outbox(&light);
        offered = o["entries"]
            .as_array()
            .and_then(|es| es.iter().find(|e| e["tx"] == offer_tx.as_str()))
            .cloned()
            .unwrap_or(Value::Null);
        offered["status"] == "committed"
    });
    let h = offered["height"].as_u64().expect("offer height");
    for i in 0..4 {
        c.wait_height(i, h, Duration::from_secs(60));
        let j = item_at(&c, i, lastscan);
        assert_eq!(
            j["item"]["open_handoff"],
            offer_tx.as_str(),
            "node {i}: {j}"
        );
    }
    // The light node reads the offer the item travels in with the same kind of proof, so
    // the receiver can accept from a scan (a light node has no inbox index).
    let seen = ok(&light, &["light", "show", lastscan]);
    assert_eq!(seen["handoff"]["id"], offer_tx.as_str(), "{seen}");
    assert_eq!(seen["handoff"]["to"]["key"], shop_key.as_str(), "{seen}");
    assert_eq!(seen["handoff"]["status"], "open", "{seen}");
    let done = ok(&n0, &["--as", "Shop", "handoff", "accept", &offer_tx]);
    let h = done["height"].as_u64().expect("accept height");
    for i in 0..4 {
        c.wait_height(i, h, Duration::from_secs(60));
        let j = item_at(&c, i, lastscan);
        assert_eq!(j["item"]["custodian"]["name"], "Shop", "node {i}: {j}");
    }
    terminate(guard.0.as_mut().expect("light"));
    guard.0 = None;
    eprintln!("done after {:?}", t0.elapsed());
}

/// A peer that serves forged record proofs (it claims records are absent, keeping the
/// real proof: a lying full node hiding a product's record, or an item): the light node
/// answers "could not verify" (`PROOF_INVALID`), never "absent" and never "verified
/// against block N". Records the peer does not forge still verify through it.
#[test]
fn light_node_fed_forged_proofs_says_it_could_not_verify() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    let g = gtin("0061414100001");
    let g2 = gtin("0061414100002");
    // Node 3 lies about the coffee's product record and about BAG2's record.
    let forge = [
        hex::encode(format!("p{g}")),
        hex::encode(handoff_core::state::StateKey::Item(format!("/01/{g}/21/BAG2")).to_bytes()),
    ]
    .join(",");
    for i in 0..3 {
        c.start(i);
    }
    c.start_with(3, &[("HANDOFF_FAULT_FORGE_PROOFS", &forge)]);
    let n0 = c.dir(0);
    for (gtin, name) in [(&g, "Coffee"), (&g2, "Tea")] {
        ok(
            &n0,
            &[
                "--as", "Registry", "product", "define", "--gtin", gtin, "--name", name,
            ],
        );
    }
    let bag1 = format!("(01){g}(21)BAG1");
    let bag2 = format!("(01){g}(21)BAG2");
    let tea = format!("(01){g2}(21)TEA1");
    let h = ok(
        &n0,
        &["--as", "Registry", "item", "commission", &bag1, &bag2, &tea],
    )["height"]
        .as_u64()
        .expect("height");
    c.wait_height(3, h, Duration::from_secs(60));

    let genesis = ok(&n0, &["genesis"]);
    let hex = genesis["genesis"].as_str().expect("genesis").to_string();
    let light = root.join("light");
    let log = root.join("light.log");
    ok(
        &light,
        &[
            "--as",
            "Registry",
            "light",
            "init",
            "--genesis",
            &hex,
            "--org-key-from",
            n0.to_str().expect("path"),
        ],
    );
    let mut guard = Light(None, log.clone());
    // The lying node is the light node's only peer.
    guard.0 = Some(start_light(&light, &c.ports[3..], &log, 4));

    // Honest records through the same peer verify: the setup is sound.
    let mut shown = Value::Null;
    wait_for("a verified read", Duration::from_secs(60), || {
        let (code, j, _) = handoff(&light, &["light", "show", &tea]);
        shown = j;
        code == 0 && shown["height"].as_u64().is_some_and(|x| x >= h)
    });
    assert_eq!(shown["verified"], true, "{shown}");
    assert_eq!(shown["thing"]["product"]["name"], "Tea", "{shown}");

    // The item verifies but its product's proof is forged: the whole view fails.
    let (code, j, _) = handoff(&light, &["light", "show", &bag1]);
    assert_eq!(code, 1, "{j}");
    assert_eq!(j["error"]["code"], "PROOF_INVALID", "{j}");
    assert!(j.get("verified").is_none(), "{j}");
    let message = j["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("could not be verified"), "{j}");
    assert!(message.contains(&g), "names the record: {j}");

    // The item's own proof is forged: not "never commissioned", not verified.
    let (code, j, _) = handoff(&light, &["light", "show", &bag2]);
    assert_eq!(code, 1, "{j}");
    assert_eq!(j["error"]["code"], "PROOF_INVALID", "{j}");
    assert_ne!(j["error"]["code"], "UNKNOWN_ITEM", "{j}");

    terminate(guard.0.as_mut().expect("light"));
    guard.0 = None;
}
