//! A light node over real sockets: four validator processes on loopback TCP, a light
//! folder trusting node 0's genesis and signing as the registrar, 100 commissions queued
//! while offline, then submitted by `handoff light run`, which is killed mid-way and
//! restarted: every scan is committed exactly once, in nonce order. Then a handoff
//! offered at the light node is committed and shown, with a verified proof, at every
//! validator. The light node's HTTP API driven with the typed client: proven reads, a
//! queued action committed, refusals of bad tokens and bodies.

use crate::common;

use common::*;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running `handoff light run`.
fn start_light(dir: &Path, ports: &[u16], log: &Path, max_inflight: usize) -> Child {
    start_light_with(dir, ports, log, max_inflight, &[])
}

/// A running `handoff light run` with more options.
fn start_light_with(
    dir: &Path,
    ports: &[u16],
    log: &Path,
    max_inflight: usize,
    extra: &[&str],
) -> Child {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(dir)
        .args(["light", "run", "--no-mdns", "--max-inflight"])
        .arg(max_inflight.to_string())
        .args(extra);
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

/// `light init` of a light folder for `org`, with the genesis node 0's gateway serves and
/// the org's key from node 0's folder; the folder's chain is node 0's.
fn init_light(light: &Path, n0: &Path, org: &str) {
    let genesis = ok(n0, &["genesis"]);
    let hex = genesis["genesis"].as_str().expect("genesis hex");
    let made = ok(
        light,
        &[
            "--as",
            org,
            "light",
            "init",
            "--genesis",
            hex,
            "--org-key-from",
            n0.to_str().expect("path"),
        ],
    );
    assert_eq!(made["chain_id"], genesis["chain_id"], "{made}");
}

/// What a command prints for people (without `--json`).
fn text_of(dir: &Path, args: &[&str]) -> String {
    let out = Command::new(bin())
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("run handoff");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).to_string()
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
    let light = root.join("light");
    let log = root.join("light.log");
    // Trusts the genesis node 0's gateway serves (the same chain id).
    init_light(&light, &n0, "Registry");
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
/// against block N". Records the peer does not forge still verify through it. After its
/// third lie the peer is banned, and reads say no full node is reachable and why.
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

    // The light node is an org the forged records do not concern: its follow loop never
    // asks for them, so the only forged proofs it meets are the reads below. (Followed
    // by the registrar, the loop would meet them on every step and report the liar each
    // time: three reports ban the peer, and a read after the ban finds no peer at all.)
    ok(&n0, &["org", "add", "Shop", "--role", "retailer"]);
    let light = root.join("light");
    let log = root.join("light.log");
    init_light(&light, &n0, "Shop");
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

    // A third forged answer bans the liar. With no other peer, a read then says that no
    // full node is reachable, and why: not "verified", not a bare "no connection".
    let (code, j, _) = handoff(&light, &["light", "show", &bag1]);
    assert_eq!(
        (code, j["error"]["code"].as_str()),
        (1, Some("PROOF_INVALID")),
        "{j}"
    );
    let mut last = Value::Null;
    wait_for("the liar banned", Duration::from_secs(30), || {
        last = handoff(&light, &["light", "show", &tea]).1;
        last["error"]["code"] == "NO_PEER"
    });
    assert!(last.get("verified").is_none(), "{last}");
    let message = last["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("one peer is refused for now because it served data that does not verify"),
        "{last}"
    );

    terminate(guard.0.as_mut().expect("light"));
    guard.0 = None;
}

/// A full node that serves an item's history one event short (as a peer hiding the
/// newest event would): the light node refuses it as unverifiable and shows no history,
/// short or empty. Restarted with honest peers, it shows the history, verified, event for
/// event the validators'.
#[test]
fn light_node_refuses_a_short_history_and_verifies_an_honest_one() {
    use handoff_api::{ItemHistoryRequest, LookupRequest};
    use handoff_http::Client;

    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    for i in 0..3 {
        c.start(i);
    }
    c.start_with(3, &[("HANDOFF_FAULT_SHORT_HISTORY", "1")]);
    let n0 = c.dir(0);
    let g = gtin("0061414100001");
    ok(
        &n0,
        &[
            "--as", "Registry", "product", "define", "--gtin", &g, "--name", "Coffee",
        ],
    );
    let bag = format!("(01){g}(21)BAG1");
    ok(&n0, &["--as", "Registry", "item", "commission", &bag]);
    let h = ok(
        &n0,
        &[
            "--as",
            "Registry",
            "item",
            "observe",
            &bag,
            "--kind",
            "inspection",
        ],
    )["height"]
        .as_u64()
        .expect("height");
    c.wait_height(3, h, Duration::from_secs(60));
    let light = root.join("light");
    let log = root.join("light.log");
    init_light(&light, &n0, "Registry");
    let client = |light: &Path| {
        let file: Value =
            serde_json::from_slice(&std::fs::read(light.join("light.json")).expect("light.json"))
                .expect("light.json is JSON");
        Client::new(
            &format!("http://{}", file["http"].as_str().expect("http")),
            file["token"].as_str(),
        )
    };
    let http = ["--http", "127.0.0.1:0"];
    let mut guard = Light(None, log.clone());
    // The lying node is the light node's only peer.
    guard.0 = Some(start_light_with(&light, &c.ports[3..], &log, 4, &http));
    let liar = client(&light);
    wait_for("a verified read", Duration::from_secs(60), || {
        liar.call(&LookupRequest { scan: bag.clone() })
            .ok()
            .and_then(|l| l.verified)
            .is_some_and(|v| v.height >= h)
    });
    let e = liar
        .call(&ItemHistoryRequest { key: bag.clone() })
        .expect_err("refused");
    assert_eq!(
        (e.code.as_str(), e.http_status()),
        ("PROOF_INVALID", 500),
        "{e:?}"
    );
    assert!(e.message.contains("the history of"), "{e:?}");
    assert!(e.message.contains("no events served"), "{e:?}");
    terminate(guard.0.as_mut().expect("light"));

    // Honest peers: the validators' history, verified.
    guard.0 = Some(start_light_with(&light, &c.ports[..3], &log, 4, &http));
    let honest = client(&light);
    let full = ok(&n0, &["item", "history", &bag]);
    let want: Vec<(String, u64)> = full["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| {
            (
                e["type"].as_str().expect("type").to_string(),
                e["height"].as_u64().expect("height"),
            )
        })
        .collect();
    assert_eq!(want.len(), 2, "{full}");
    let mut got = None;
    wait_for("the verified history", Duration::from_secs(60), || {
        got = honest.call(&ItemHistoryRequest { key: bag.clone() }).ok();
        got.is_some()
    });
    let got = got.expect("history");
    let rows: Vec<(String, u64)> = got
        .events
        .iter()
        .map(|e| (e.kind.clone(), e.height))
        .collect();
    assert_eq!(rows, want);
    assert!(got.verified.is_some_and(|v| v.height >= h));
    terminate(guard.0.as_mut().expect("light"));
    guard.0 = None;
}

/// `handoff light run` serves the typed API of its light session, as a client program
/// (the browser's UI, a script) meets it: a read proven against a certified header (the
/// same header, record and state root the validators hold), an action queued and then
/// committed by the validators, another identity of the folder acting with its own
/// token (also from the command line, `--as`), what a light node cannot answer, a wrong
/// or missing token, malformed bodies: all answered with the error shape, and the light
/// node still serves afterwards. It also serves the built UI.
#[test]
fn light_node_serves_the_typed_api_over_http() {
    use handoff_api::*;
    use handoff_http::Client;

    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
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
    let shop = ok(&n0, &["org", "add", "Shop", "--role", "retailer"]);
    let shop_key = shop["org"].as_str().expect("shop key").to_string();
    let bag = format!("(01){g}(21)BAG1");
    let h = ok(&n0, &["--as", "Registry", "item", "commission", &bag])["height"]
        .as_u64()
        .expect("height");
    let light = root.join("light");
    let log = root.join("light.log");
    init_light(&light, &n0, "Registry");
    // A second identity in the light folder: the shop, signing with its own token.
    let shop_id = handoff_node::identity::select(&n0, Some("Shop")).expect("shop identity");
    handoff_node::identity::save(
        &light,
        "Shop",
        &shop_id.key,
        handoff_node::ledger::now_ms() + 1,
    )
    .expect("save shop");
    let ui = root.join("ui");
    std::fs::create_dir_all(&ui).expect("ui dir");
    std::fs::write(ui.join("index.html"), "<html>handoff light ui</html>").expect("index");
    let mut guard = Light(None, log.clone());
    guard.0 = Some(start_light_with(
        &light,
        &c.ports,
        &log,
        4,
        &[
            "--http",
            "127.0.0.1:0",
            "--ui",
            ui.to_str().expect("ui path"),
        ],
    ));
    let file: Value =
        serde_json::from_slice(&std::fs::read(light.join("light.json")).expect("light.json"))
            .expect("light.json is JSON");
    let base = format!("http://{}", file["http"].as_str().expect("http"));
    let token = |v: &Value| v.as_str().expect("token").to_string();
    let registry = Client::new(&base, Some(&token(&file["token"])));
    let shop_client = Client::new(&base, Some(&token(&file["tokens"]["Shop"])));
    assert_eq!(file["tokens"]["Registry"].as_str().map(str::len), Some(64));

    // A read with a proof: the item as the validators committed it, proven against a
    // certified header at or after its block.
    let mut seen = None;
    wait_for("a verified read", Duration::from_secs(60), || {
        seen = registry
            .call(&LookupRequest { scan: bag.clone() })
            .ok()
            .filter(|l| l.verified.as_ref().is_some_and(|v| v.height >= h));
        seen.is_some()
    });
    let seen = seen.expect("lookup");
    let Thing::Item(item) = &seen.thing.item else {
        panic!("not an item: {seen:?}");
    };
    assert_eq!(item.custodian.name, "Registry", "{seen:?}");
    assert_eq!(
        item.product.as_ref().map(|p| p.name.as_str()),
        Some("Coffee")
    );
    // `light show`'s operation gives the proven record itself.
    let shown = registry
        .call(&LightShowRequest { scan: bag.clone() })
        .expect("light show");
    assert!(shown.verified.height >= h, "{shown:?}");

    // An action: queued at once, then committed by the validators.
    let offer = registry
        .call(&ProposeRequest {
            to: shop_key.clone(),
            scans: vec![bag.clone()],
            transfer: TransferKind::Custody,
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        })
        .expect("propose");
    let queued = offer.queued.clone().expect("queued");
    assert_eq!((queued.len(), offer.height), (1, None), "{offer:?}");
    let committed_at = |tx: &str| -> Option<u64> {
        let o = registry.call(&OutboxRequest {}).ok()?;
        let e = o.entries.into_iter().find(|e| e.tx == tx)?;
        (e.status == "committed").then_some(e.height).flatten()
    };
    let mut at = None;
    wait_for("the offer committed", Duration::from_secs(120), || {
        at = committed_at(&offer.tx);
        at.is_some()
    });
    let at = at.expect("height");
    c.wait_height(1, at, Duration::from_secs(60));
    assert_eq!(
        item_at(&c, 1, &bag)["item"]["open_handoff"],
        offer.tx.as_str()
    );

    // The shop accepts from its own identity of the light folder, on the command line:
    // `--as Shop` takes the shop's token.
    let accepted = ok(&light, &["--as", "Shop", "light", "accept", &offer.tx]);
    let accept_tx = accepted["queued"][0]["tx"]
        .as_str()
        .expect("queued accept")
        .to_string();
    let mut at = None;
    wait_for("the acceptance committed", Duration::from_secs(120), || {
        at = committed_at(&accept_tx);
        at.is_some()
    });
    let at = at.expect("height");
    c.wait_height(2, at, Duration::from_secs(60));
    assert_eq!(item_at(&c, 2, &bag)["item"]["custodian"]["name"], "Shop");
    // The light node reads the new custodian with a proof of its own.
    let mut after = None;
    wait_for(
        "the new custodian verified",
        Duration::from_secs(60),
        || {
            after = shop_client
                .call(&LightShowRequest { scan: bag.clone() })
                .ok()
                .filter(|s| s.verified.height >= at);
            after.is_some()
        },
    );
    let after = after.expect("light show");
    let Some(Thing::Item(item)) = &after.thing else {
        panic!("not an item: {after:?}");
    };
    assert_eq!(item.custodian.key, shop_key, "{after:?}");

    // The org's other business is a light node's too, each action queued at once and
    // then committed: a product defined, bags commissioned, packed onto a pallet and one
    // taken off again, an offer of ownership with its purchase order and an expiry that
    // the shop refuses (by a prefix of its id, which the shop's own index resolves), and
    // an offer of the pallet the registry withdraws.
    let wait_tx = |what: &str, tx: &str| -> u64 {
        let mut at = None;
        wait_for(what, Duration::from_secs(120), || {
            at = committed_at(tx);
            at.is_some()
        });
        at.expect("height")
    };
    let tea = gtin("0061414100002");
    let defined = registry
        .call(&ProductDefineRequest {
            gtin: tea.clone(),
            name: "Tea".into(),
            description: "Green tea, 100 g".into(),
            attributes: vec![],
        })
        .expect("product define");
    assert_eq!(defined.height, None, "{defined:?}");
    let (bag2, bag3) = (format!("(01){g}(21)BAG2"), format!("(01){g}(21)BAG3"));
    let made = registry
        .call(&CommissionRequest {
            scans: vec![bag2.clone(), bag3.clone()],
            lot: None,
            qty: None,
            at: None,
            expiry: None,
            claim_codes: false,
            pin: None,
        })
        .expect("commission");
    let body = "00614141000000001";
    let sscc = format!(
        "(00){body}{}",
        handoff_core::gs1::check_digit(body).expect("digits")
    );
    let packed = registry
        .call(&PackRequest {
            into: sscc.clone(),
            scans: vec![bag2.clone(), bag3.clone()],
        })
        .expect("pack");
    let unpacked = registry
        .call(&UnpackRequest {
            container: sscc.clone(),
            scans: vec![bag3.clone()],
        })
        .expect("unpack");
    for (what, tx) in [
        ("the product committed", &defined.tx),
        ("the bags committed", &made.tx),
        ("the pallet packed", &packed.tx),
        ("the bag unpacked", &unpacked.tx),
    ] {
        assert!(
            [&made.queued, &packed.queued, &unpacked.queued]
                .iter()
                .all(|q| q.is_some()),
            "{what}: not queued"
        );
        wait_tx(what, tx);
    }
    let offer3 = registry
        .call(&ProposeRequest {
            to: shop_key.clone(),
            scans: vec![bag3.clone()],
            transfer: TransferKind::Both,
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![DocRef {
                kind: "po".into(),
                id: "PO-7".into(),
            }],
            expires_in: Some(500),
        })
        .expect("propose with ownership");
    let offer_pallet = registry
        .call(&ProposeRequest {
            to: shop_key.clone(),
            scans: vec![sscc.clone()],
            transfer: TransferKind::Custody,
            qty: None,
            ship_from: None,
            ship_to: None,
            docs: vec![],
            expires_in: None,
        })
        .expect("propose the pallet");
    wait_tx("the offer of ownership committed", &offer3.tx);
    let offered_at = wait_tx("the pallet's offer committed", &offer_pallet.tx);
    // The shop's index must hold the offer before a prefix of its id resolves.
    let mut refused = None;
    wait_for(
        "the shop's index to know the offer",
        Duration::from_secs(60),
        || {
            refused = shop_client
                .call(&RejectRequest {
                    id: offer3.tx[..12].to_string(),
                    reason: "not what we ordered".into(),
                })
                .ok();
            refused.is_some()
        },
    );
    let refused = refused.expect("reject");
    assert_eq!(refused.height, None, "{refused:?}");
    let withdrawn = registry
        .call(&CancelRequest {
            id: offer_pallet.tx.clone(),
        })
        .expect("cancel");
    let closed = wait_tx("the refusal committed", &refused.tx)
        .max(wait_tx("the withdrawal committed", &withdrawn.tx));
    assert!(closed > offered_at);
    c.wait_height(3, closed, Duration::from_secs(60));
    let n3 = c.dir(3);
    let shown_handoff = |id: &str| ok(&n3, &["handoff", "show", id])["handoff"].clone();
    let h3 = shown_handoff(&offer3.tx);
    assert_eq!(
        (
            h3["status"].as_str(),
            h3["reason"].as_str(),
            h3["transfer"].as_str()
        ),
        (Some("rejected"), Some("not what we ordered"), Some("both")),
        "{h3}"
    );
    assert_eq!(h3["docs"][0]["id"], "PO-7", "{h3}");
    assert!(h3["expires_at_height"].as_u64().is_some(), "{h3}");
    assert_eq!(
        shown_handoff(&offer_pallet.tx)["status"],
        "cancelled",
        "the pallet's offer"
    );
    let bag3_now = item_at(&c, 3, &bag3);
    assert_eq!(bag3_now["item"]["custodian"]["name"], "Registry");
    assert!(bag3_now["item"]["container"].is_null(), "{bag3_now}");
    assert_eq!(
        item_at(&c, 3, &bag2)["item"]["container"].as_str(),
        handoff_core::gs1::parse_scan(&sscc)
            .ok()
            .map(|s| s.key.canonical())
            .as_deref(),
    );
    assert_eq!(
        ok(&n3, &["product", "show", &tea])["product"]["name"],
        "Tea"
    );
    // A prefix that names no open handoff of the org is refused, nothing queued.
    let e = registry
        .call(&CancelRequest {
            id: "ffff0000".into(),
        })
        .expect_err("unknown prefix");
    assert_eq!(e.code, "BAD_HANDOFF_ID");

    // A document registered on the full node is checked on the light node, by anyone,
    // with its own proof: found, and a one-byte-changed copy proven never registered.
    let invoice = root.join("invoice.txt");
    std::fs::write(&invoice, b"INVOICE 4711: 1 bag of coffee").expect("invoice");
    let registered = ok(
        &n0,
        &[
            "--as",
            "Registry",
            "doc",
            "notarize",
            invoice.to_str().expect("path"),
            "--type",
            "invoice",
        ],
    );
    let (hash, doc_height) = (
        registered["hash"].as_str().expect("hash").to_string(),
        registered["height"].as_u64().expect("height"),
    );
    let anyone = Client::new(&base, None);
    let mut found = None;
    wait_for("the document proven", Duration::from_secs(60), || {
        found = anyone
            .call(&DocVerifyRequest { hash: hash.clone() })
            .ok()
            .filter(|v| v.proof.height >= doc_height);
        found.is_some()
    });
    let found = found.expect("doc verify");
    assert!(found.registered && found.proof.verified, "{found:?}");
    assert!(found.proof.proof_bytes > 0, "{found:?}");
    assert_eq!(found.by_name.as_deref(), Some("Registry"));
    assert_eq!(found.height, Some(doc_height));
    let mut changed = std::fs::read(&invoice).expect("read");
    changed[0] ^= 1;
    let never = anyone
        .call(&DocVerifyRequest {
            hash: handoff_core::types::sha256(&[&changed]).to_hex(),
        })
        .expect("doc verify");
    assert!(!never.registered && never.proof.verified, "{never:?}");

    // An item's history, verified by the light node: the first bag's (commissioned,
    // offered, accepted by the shop) and the second's, which also travelled on the pallet
    // while the pallet was offered and withdrawn. Each is the full node's journey, event
    // for event, in order, with the same types, blocks, transactions and subjects.
    for scan in [&bag, &bag2] {
        let full = ok(&n3, &["item", "history", scan]);
        let want = full["events"].as_array().expect("events").clone();
        assert!(want.len() >= 2, "{full}");
        let mut got = None;
        wait_for(
            "the light node's history to reach the full node's",
            Duration::from_secs(60),
            || {
                got = registry
                    .call(&ItemHistoryRequest { key: scan.clone() })
                    .ok()
                    .filter(|h| h.events.len() >= want.len());
                got.is_some()
            },
        );
        let got = got.expect("history");
        let v = got.verified.as_ref().expect("verified against a header");
        assert!(v.height >= closed, "{v:?}");
        let row = |e: &Value| {
            (
                e["type"].as_str().map(String::from),
                e["height"].as_u64(),
                e["index"].as_u64(),
                e["tx"].as_str().map(String::from),
                e["subject"].as_str().map(String::from),
                e["via"].as_str().map(String::from),
                e["by_name"].as_str().map(String::from),
            )
        };
        let light_rows: Vec<_> = got
            .events
            .iter()
            .map(|e| row(&serde_json::to_value(e).expect("event")))
            .collect();
        let full_rows: Vec<_> = want.iter().map(row).collect();
        assert_eq!(light_rows, full_rows, "{scan}");
        // The record beside it is the full node's too.
        assert_eq!(
            serde_json::to_value(&got.item).expect("item")["custodian"],
            full["item"]["custodian"],
            "{scan}"
        );
    }
    let journey = registry
        .call(&ItemHistoryRequest { key: bag2.clone() })
        .expect("history");
    let kinds: Vec<(&str, &str)> = journey
        .events
        .iter()
        .map(|e| (e.kind.as_str(), e.via.as_str()))
        .collect();
    assert!(
        kinds.contains(&("handoff_cancelled", "container")),
        "the pallet's withdrawn offer is in the bag's journey: {kinds:?}"
    );
    // A scan of something never commissioned is proven absent, not an empty history.
    let e = registry
        .call(&ItemHistoryRequest {
            key: format!("(01){g}(21)NEVER"),
        })
        .expect_err("unknown");
    assert_eq!(e.code, "UNKNOWN_ITEM", "{e:?}");

    // What a light node cannot answer says so.
    let e = registry
        .call(&EvidenceRequest { scan: bag.clone() })
        .expect_err("evidence");
    assert_eq!((e.code.as_str(), e.http_status()), ("LIGHT_NODE", 503));

    // A wrong token, or none, acts on nothing and reads no outbox.
    let before = registry
        .call(&OutboxRequest {})
        .expect("outbox")
        .entries
        .len();
    for bad in [
        Client::new(&base, Some(&"0".repeat(64))),
        Client::new(&base, None),
    ] {
        let e = bad
            .call(&CommissionRequest {
                scans: vec![format!("(01){g}(21)BAG2")],
                lot: None,
                qty: None,
                at: None,
                expiry: None,
                claim_codes: false,
                pin: None,
            })
            .expect_err("refused");
        assert_eq!(
            (e.code.as_str(), e.kind),
            ("UNAUTHORIZED", ErrorKind::Unauthorized)
        );
        let e = bad.call(&OutboxRequest {}).expect_err("refused");
        assert_eq!(e.code, "UNAUTHORIZED");
    }
    assert_eq!(
        registry
            .call(&OutboxRequest {})
            .expect("outbox")
            .entries
            .len(),
        before
    );

    // Malformed bodies: 400 with the error shape, nothing queued.
    for (body, code) in [
        (&b"{\"scans\": ["[..], "BAD_JSON"),
        (
            &b"{\"scans\": [\"x\"], \"colour\": \"red\"}"[..],
            "BAD_REQUEST",
        ),
        (&b"[1, 2]"[..], "BAD_JSON"),
    ] {
        let (status, text) = registry
            .send(Method::Post, "/v1/items", Some(body))
            .expect("answered");
        let shape: handoff_http::ErrorBody = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("not the error shape ({e}): {text}"));
        assert_eq!(
            (status, shape.error.code.as_str()),
            (400, code),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    assert_eq!(
        registry
            .call(&OutboxRequest {})
            .expect("outbox")
            .entries
            .len(),
        before
    );

    // The built UI is served at `/`.
    let (status, page) = registry.send(Method::Get, "/", None).expect("ui");
    assert_eq!(
        (status, page.as_str()),
        (200, "<html>handoff light ui</html>")
    );

    // It survived all of it.
    assert!(
        guard
            .0
            .as_mut()
            .expect("light")
            .try_wait()
            .expect("wait")
            .is_none(),
        "the light node exited"
    );
    let st = registry.call(&StatusRequest {}).expect("status");
    assert!(st.height >= at, "{st:?}");
    // The status says it is a light node, and names the identity a token signs as (the
    // browser's Node screen shows both); without a token it names none.
    assert_eq!(st.mode.as_deref(), Some("light"), "{st:?}");
    let named = |c: &Client| {
        c.call(&StatusRequest {})
            .expect("status")
            .identity
            .map(|i| i.name)
    };
    assert_eq!(named(&registry).as_deref(), Some("Registry"));
    assert_eq!(named(&shop_client).as_deref(), Some("Shop"));
    assert_eq!(named(&Client::new(&base, None)), None);
    // A command sent to the light node prints what it prints run on the folder itself.
    let remote = (outbox(&light), text_of(&light, &["light", "outbox"]));
    terminate(guard.0.as_mut().expect("light"));
    guard.0 = None;
    let mut local = (outbox(&light), text_of(&light, &["light", "outbox"]));
    assert_eq!(
        (&remote.0["running"], &local.0["running"]),
        (&true.into(), &false.into())
    );
    local.0["running"] = true.into();
    assert_eq!(remote, local);
    assert!(
        local.1.contains(&format!("{}  nonce", &offer.tx[..16])),
        "{}",
        local.1
    );

    // The proven answer is the chain's own: the header at that height on a validator has
    // the same hash and state root, and its store proves the same record bytes there.
    for i in 0..4 {
        c.kill(i);
    }
    let ledger = handoff_node::ledger::Ledger::open(&n0).expect("open node 0");
    let v = &shown.verified;
    let block = ledger
        .store
        .block(v.height)
        .expect("read")
        .expect("the block");
    assert_eq!(block.header.hash().to_hex(), v.header_hash);
    assert_eq!(block.header.state_root.to_hex(), v.state_root);
    let key = handoff_core::gs1::parse_scan(&bag).expect("scan").key;
    let p = ledger
        .store
        .prove(&handoff_core::state::StateKey::item(&key), Some(v.height))
        .expect("prove");
    assert_eq!(p.value.map(hex::encode), Some(shown.record.clone()));
}
