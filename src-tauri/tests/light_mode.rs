//! The app as a light node, on real light stores on disk (sled, real signatures), with no
//! peer reachable: joining a network from an embedded folder, queueing actions offline,
//! the outbox and status the UI shows, and what a light node refuses.

use handoff_api::*;
use handoff_app_lib::{AppNode, Startup};
use handoff_core::block::Genesis;
use handoff_core::crypto::Keypair;
use handoff_core::tx::AdmitOrg;
use handoff_core::types::Role;
use handoff_node::light::LightStore;
use serde_json::Value;
use std::path::Path;

fn startup(dir: &Path, act_as: Option<&str>, peers: &[&str]) -> Startup {
    Startup {
        data: dir.to_path_buf(),
        org: "Farm".into(),
        act_as: act_as.map(String::from),
        peers: peers.iter().map(|p| p.to_string()).collect(),
        mdns: false,
    }
}

/// A network's genesis: four validators and a registrar org.
fn network_genesis(registrar: &Keypair) -> Genesis {
    Genesis {
        name: "test network".into(),
        time_ms: 1_795_000_000_000,
        validators: (1..=4u8)
            .map(|i| Keypair::from_secret([i; 32]).public())
            .collect(),
        orgs: vec![AdmitOrg {
            org: registrar.public(),
            name: "Registry".into(),
            prefixes: vec!["0614141".into()],
            glns: vec![],
            roles: vec![Role::Producer],
        }],
    }
}

fn hex_of(g: &Genesis) -> String {
    hex::encode(borsh::to_vec(g).expect("encode"))
}

/// A light folder as `handoff light init` leaves it: an identity and a light store.
fn light_folder(dir: &Path, name: &str, key: &Keypair, genesis: &Genesis) {
    handoff_node::identity::save(dir, name, key, 0).expect("identity");
    let store = LightStore::create(dir, genesis).expect("light store");
    // `light init` records the identity's account nonce (here: an org that never signed).
    store
        .set_known_nonce(&key.public(), 0)
        .expect("known nonce");
}

/// A typed answer as the UI reads it.
fn j<T: serde::Serialize>(r: Result<T, ApiError>) -> Result<Value, ApiError> {
    r.map(|v| serde_json::to_value(v).expect("json"))
}

fn status_of(node: &AppNode) -> Result<Value, ApiError> {
    j(node.call(StatusRequest {}))
}

fn lookup_of(node: &AppNode, code: &str) -> Result<Value, ApiError> {
    j(node.call(LookupRequest { scan: code.into() }))
}

fn history_of(node: &AppNode, code: &str) -> Result<Value, ApiError> {
    j(node.call(ItemHistoryRequest { key: code.into() }))
}

fn inbox_of(node: &AppNode) -> Result<Value, ApiError> {
    j(node.call(InboxRequest {}))
}

fn orgs_of(node: &AppNode) -> Result<Value, ApiError> {
    j(node.call(OrgListRequest {}))
}

fn outbox_of(node: &AppNode) -> Result<Value, ApiError> {
    j(node.call(OutboxRequest {}))
}

fn commission_of(
    node: &AppNode,
    codes: &[String],
    lot: Option<String>,
    qty: Option<u64>,
    expiry: Option<String>,
) -> Result<Value, ApiError> {
    j(node.call(CommissionRequest {
        scans: codes.to_vec(),
        lot,
        qty,
        at: None,
        expiry,
        claim_codes: false,
        pin: None,
    }))
}

fn propose_of(
    node: &AppNode,
    codes: &[String],
    to: &str,
    ownership: bool,
) -> Result<Value, ApiError> {
    j(node.call(ProposeRequest {
        to: to.into(),
        scans: codes.to_vec(),
        transfer: if ownership {
            TransferKind::Both
        } else {
            TransferKind::Custody
        },
        qty: None,
        ship_from: None,
        ship_to: None,
        docs: vec![],
        expires_in: None,
    }))
}

fn accept_of(
    node: &AppNode,
    id: &str,
    missing: &[String],
    damaged: &[String],
) -> Result<Value, ApiError> {
    j(node.call(AcceptRequest {
        id: id.into(),
        missing: missing.to_vec(),
        damaged: damaged.to_vec(),
    }))
}

const BAG: &str = "(01)00614141025015(21)L0001";
const BAG2: &str = "(01)00614141025015(21)L0002";

#[test]
fn a_light_folder_queues_offline_and_shows_its_outbox() {
    let dir = tempfile::tempdir().expect("tmp");
    let registry = Keypair::from_secret([40; 32]);
    let genesis = network_genesis(&registry);
    light_folder(dir.path(), "Registry", &registry, &genesis);
    let node = AppNode::start(startup(dir.path(), None, &["/ip4/127.0.0.1/tcp/9"]));
    assert_eq!(node.mode(), "light");

    // Status: the certified header tip, peers, and the outbox counts.
    let st = status_of(&node).expect("status");
    assert_eq!(st["mode"], "light");
    assert_eq!(st["height"], 0);
    assert_eq!(st["peers"], 0);
    assert_eq!(st["outbox"], 0);
    assert_eq!(st["chain_id"], genesis.chain_id().to_hex());
    assert_eq!(st["identity"]["name"], "Registry");
    for k in ["pending", "submitted", "committed", "rejected"] {
        assert_eq!(st["outbox_counts"][k], 0, "{k}: {st}");
    }

    // Actions are queued at once, with no peer: commission, ship, accept.
    let c = commission_of(&node, &[BAG.into(), BAG2.into()], None, None, None).expect("commission");
    assert!(c["queued"].is_array(), "{c}");
    let seqs: Vec<u64> = c["queued"]
        .as_array()
        .expect("queued")
        .iter()
        .map(|q| q["seq"].as_u64().expect("seq"))
        .collect();
    assert_eq!(seqs, vec![1, 2], "one transaction per item: {c}");
    let grocer = Keypair::from_secret([41; 32]).public().to_hex();
    let p = propose_of(&node, &[BAG.into()], &grocer, false).expect("propose");
    assert_eq!(p["queued"][0]["seq"], 3);
    assert_eq!(p["queued"][0]["nonce"], 2);
    // A recipient by name must be one the light node knows (the genesis orgs).
    let e = propose_of(&node, &[BAG.into()], "Corner Grocer", false).expect_err("unknown");
    assert_eq!(e.code, "UNKNOWN_ORG");
    let offer = "ab".repeat(32);
    let a = accept_of(&node, &offer, &[BAG2.into()], &[]).expect("accept");
    assert_eq!(a["queued"][0]["seq"], 4);
    // Bad input is refused before anything is queued.
    let e = commission_of(&node, &["(01)123".into()], None, None, None).expect_err("bad scan");
    assert!(e.code.starts_with("SCAN_"), "{e:?}");
    let e = commission_of(&node, &[BAG.into()], Some("L1".into()), Some(5), None)
        .expect_err("lots need a full node");
    assert_eq!(e.code, "LIGHT_NODE");
    // Another identity of the folder whose account the node never read cannot number
    // its transactions offline: refused, nothing queued, and the first identity goes on.
    let shop = Keypair::from_secret([42; 32]);
    handoff_node::identity::save(dir.path(), "Shop", &shop, 0).expect("identity");
    node.switch("Shop").expect("switch");
    let e = commission_of(
        &node,
        &["(01)00614141025015(21)L0009".into()],
        None,
        None,
        None,
    )
    .expect_err("unknown nonce");
    assert_eq!(e.code, "NONCE_UNKNOWN", "{e:?}");
    assert!(e.message.contains("Shop"), "{}", e.message);
    node.switch("Registry").expect("switch back");

    // The outbox: in order, each pending, saying what it is.
    let o = outbox_of(&node).expect("outbox");
    let entries = o["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 4, "{o}");
    let kinds: Vec<&str> = entries
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(
        kinds,
        [
            "commission",
            "commission",
            "handoff_proposed",
            "handoff_accepted"
        ]
    );
    assert!(entries.iter().all(|e| e["status"] == "pending"), "{o}");
    assert_eq!(entries[0]["items"][0], "/01/00614141025015/21/L0001");
    assert_eq!(entries[3]["handoff"], offer.as_str());
    assert_eq!(o["counts"]["pending"], 4);
    let st = status_of(&node).expect("status");
    assert_eq!(
        (st["outbox"].as_u64(), st["peers"].as_u64()),
        (Some(4), Some(0))
    );

    // The inbox comes from the light node's own index of its org, which it builds once
    // a peer is reachable: never synced, it says so (never an empty inbox). An item's
    // history and every other read need a peer to verify against (never an empty one).
    let e = inbox_of(&node).expect_err("inbox");
    assert_eq!(e.code, "NOT_INDEXED_YET", "{e:?}");
    assert!(e.message.contains("light node"), "{}", e.message);
    let e = history_of(&node, BAG).expect_err("history");
    assert_eq!(e.code, "NO_PEER", "{e:?}");
    assert!(e.message.contains("no full node"), "{}", e.message);
    let e = node.backup().expect_err("backup");
    assert_eq!(e.code, "LIGHT_NODE");
    let e = lookup_of(&node, BAG).expect_err("no peer");
    assert_eq!(e.code, "NO_PEER");
    let e = lookup_of(&node, "(01)00614141025016(21)X").expect_err("bad scan");
    assert_eq!(e.code, "SCAN_BAD_CHECK_DIGIT");
    let orgs = orgs_of(&node).expect("orgs");
    assert_eq!(orgs["orgs"][0]["name"], "Registry");
    assert_eq!(orgs["source"], "genesis");

    // The outbox survives a restart.
    drop(node);
    let node = AppNode::start(startup(dir.path(), Some("Registry"), &[]));
    let o = outbox_of(&node).expect("outbox");
    assert_eq!(o["entries"].as_array().map(Vec::len), Some(4));
}

#[test]
fn joining_a_network_switches_an_embedded_folder_to_light_mode() {
    let dir = tempfile::tempdir().expect("tmp");
    let node = AppNode::start(startup(dir.path(), None, &[]));
    assert_eq!(node.mode(), "embedded");
    assert_eq!(status_of(&node).expect("status")["mode"], "embedded");
    let genesis = network_genesis(&Keypair::from_secret([40; 32]));
    let peer = vec!["/ip4/127.0.0.1/tcp/9".to_string()];

    // A bad genesis is a clear error and changes nothing.
    for bad in ["not hex", "abcd", &hex_of(&genesis)[..40]] {
        let e = node.set_network(&peer, Some(bad)).expect_err("bad genesis");
        assert_eq!(e.code, "BAD_GENESIS", "{bad}: {e:?}");
        assert!(e.message.contains("handoff genesis"), "{}", e.message);
    }
    assert_eq!(node.mode(), "embedded");
    assert!(!dir.path().join("light").exists());
    // Bad peers too.
    let e = node
        .set_network(&["10.0.0.5:4001".into()], Some(&hex_of(&genesis)))
        .expect_err("bad peer");
    assert_eq!(e.code, "BAD_PEER");
    // Peers alone are only saved.
    let v = j(node.set_network(&peer, None)).expect("peers");
    assert_eq!(
        (v["mode"].as_str(), v["peers"][0].as_str()),
        (Some("embedded"), Some(peer[0].as_str()))
    );

    // Peers and a genesis: the folder becomes a light node in this process.
    let v = j(node.set_network(&peer, Some(&hex_of(&genesis)))).expect("join");
    assert_eq!(v["switched"], true);
    assert_eq!(v["mode"], "light");
    assert!(
        v["message"]
            .as_str()
            .is_some_and(|m| m.contains("light node")),
        "{v}"
    );
    assert_eq!(node.mode(), "light");
    assert!(dir.path().join("light").exists());
    let st = status_of(&node).expect("status");
    assert_eq!(st["mode"], "light");
    assert_eq!(st["chain_id"], genesis.chain_id().to_hex());
    assert_eq!(st["identity"]["name"], "Farm");
    // The identity's account on that network has not been read (no peer answers here):
    // it cannot number a transaction yet, and says so rather than guess.
    let e = commission_of(&node, &[BAG.into()], None, None, None).expect_err("no nonce yet");
    assert_eq!(e.code, "NONCE_UNKNOWN", "{e:?}");
    assert!(
        e.message.contains("connect to a full node"),
        "{}",
        e.message
    );
    // The same genesis again is fine; another network is refused.
    node.set_network(&peer, Some(&hex_of(&genesis)))
        .expect("same network");
    let mut other = genesis.clone();
    other.name = "another".into();
    let e = node
        .set_network(&peer, Some(&hex_of(&other)))
        .expect_err("other network");
    assert_eq!(e.code, "ALREADY_JOINED");

    // The next start is in light mode, with the saved peers.
    drop(node);
    let node = AppNode::start(startup(dir.path(), None, &[]));
    assert_eq!(node.mode(), "light");
    let n = j(node.network()).expect("network");
    assert_eq!(n["peers"][0], peer[0].as_str());
    assert_eq!(n["genesis"], hex_of(&genesis));
}

#[test]
fn peers_come_from_the_command_line() {
    let args: Vec<String> = [
        "--data",
        "/tmp/x",
        "--peer",
        "/ip4/127.0.0.1/tcp/1",
        "--peer",
        "/ip4/127.0.0.1/tcp/2",
        "--no-mdns",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let s = Startup::from_args(&args);
    assert_eq!(s.peers, ["/ip4/127.0.0.1/tcp/1", "/ip4/127.0.0.1/tcp/2"]);
    assert!(!s.mdns);
    assert!(Startup::from_args(&[]).mdns);
}
