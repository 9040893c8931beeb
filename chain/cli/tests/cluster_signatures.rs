//! Four validator processes on loopback TCP and a transaction whose signature the old
//! signature paths judged differently: a torsion component in `R`, chosen so that a
//! cofactorless batch of one accepts it while the cofactorless batch of the block it lands
//! in refuses it (and strict verification always does). Two validators admit it while the
//! other two are down; when those come back they validate the block holding it without
//! having admitted it — another grouping. Under the one rule (ZIP-215) every path accepts
//! it: the four validators include it, agree on the block and the state root, and keep
//! committing.

use crate::common;

use common::*;
use handoff_core::crafted;
use handoff_core::crypto::Keypair;
use handoff_core::tx::{Payload, SignedTx, TX_VERSION, TxBody};
use handoff_core::types::Hash32;
use handoff_net::{NetConfig, NetEvent, NetHandle, Network, PeerId, Request, Response, Verdict};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The answer of the previous signature code on a chunk: a cofactorless batch (the
/// ed25519-dalek batch verifier it used), falling back to strict checks when it fails.
fn old_batch_accepts(txs: &[&SignedTx]) -> bool {
    let msgs: Vec<Vec<u8>> = txs.iter().map(|t| t.signing_message()).collect();
    let refs: Vec<&[u8]> = msgs.iter().map(Vec::as_slice).collect();
    let sigs: Vec<ed25519_dalek::Signature> = txs
        .iter()
        .map(|t| ed25519_dalek::Signature::from_bytes(&t.signature))
        .collect();
    let keys: Vec<ed25519_dalek::VerifyingKey> = txs
        .iter()
        .map(|t| ed25519_dalek::VerifyingKey::from_bytes(&t.body.signer.0).expect("a key"))
        .collect();
    ed25519_dalek::verify_batch(&refs, &sigs, &keys).is_ok()
}

fn strict_accepts(tx: &SignedTx) -> bool {
    let vk = ed25519_dalek::VerifyingKey::from_bytes(&tx.body.signer.0).expect("a key");
    vk.verify_strict(
        &tx.signing_message(),
        &ed25519_dalek::Signature::from_bytes(&tx.signature),
    )
    .is_ok()
}

fn define(key: &Keypair, chain_id: Hash32, nonce: u64, gtin: &str) -> SignedTx {
    key.sign_tx(TxBody {
        version: TX_VERSION,
        chain_id,
        signer: key.public(),
        nonce,
        event_time_ms: 1_790_000_000_000,
        payload: Payload::DefineProduct {
            gtin: gtin.into(),
            name: format!("Product {gtin}"),
            description: String::new(),
            attributes: vec![],
            image_hash: None,
        },
    })
    .expect("the body encodes")
}

/// A libp2p peer of the cluster (a real connection, like a light node's).
struct Client {
    net: NetHandle,
    connected: Arc<Mutex<HashSet<PeerId>>>,
}

impl Client {
    async fn start(ports: &[u16]) -> Client {
        let mut cfg = NetConfig::new(Keypair::from_secret([0x5c; 32]));
        cfg.mdns = false;
        cfg.bootstrap = ports
            .iter()
            .map(|p| format!("/ip4/127.0.0.1/tcp/{p}").parse().expect("address"))
            .collect();
        let (net, mut events) = Network::start(cfg).await.expect("client network");
        let connected = Arc::new(Mutex::new(HashSet::new()));
        let (seen, handle) = (connected.clone(), net.clone());
        tokio::spawn(async move {
            while let Some(ev) = events.recv().await {
                match ev {
                    NetEvent::PeerConnected(p) => {
                        seen.lock().expect("lock").insert(p);
                    }
                    NetEvent::PeerDisconnected(p) => {
                        seen.lock().expect("lock").remove(&p);
                    }
                    NetEvent::Gossip { msg_id, peer, .. } => {
                        let _ = handle
                            .report_validation(msg_id, peer, Verdict::Ignore)
                            .await;
                    }
                    _ => {}
                }
            }
        });
        Client { net, connected }
    }

    async fn wait_connected(&self, peers: &[PeerId]) {
        let t = Instant::now();
        while !peers
            .iter()
            .all(|p| self.connected.lock().expect("lock").contains(p))
        {
            assert!(t.elapsed() < Duration::from_secs(60), "not connected");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Let the connections settle (protocols negotiated) before asking.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    async fn ask(&self, peer: PeerId, r: Request) -> Response {
        // Paced under the peers' request rate limit.
        tokio::time::sleep(Duration::from_millis(40)).await;
        self.net.request(peer, r).await.expect("an answer")
    }

    async fn submit(&self, peer: PeerId, tx: &SignedTx) -> Response {
        self.ask(peer, Request::SubmitTx { tx: tx.encode() }).await
    }

    async fn block(&self, peer: PeerId, height: u64) -> handoff_core::block::Block {
        match self
            .ask(
                peer,
                Request::Blocks {
                    from: height,
                    count: 1,
                },
            )
            .await
        {
            Response::Blocks(mut b) if b.len() == 1 => b.remove(0),
            other => panic!("block {height} from {peer}: {other:?}"),
        }
    }
}

fn peer_id(c: &Cluster, i: usize) -> PeerId {
    let f: Value =
        serde_json::from_slice(&std::fs::read(c.dir(i).join("node.json")).expect("node.json"))
            .expect("JSON");
    f["peer_id"]
        .as_str()
        .expect("peer id")
        .parse()
        .expect("a peer id")
}

fn accepted(r: &Response) -> bool {
    matches!(r, Response::Submitted(handoff_net::SubmitOutcome::Accepted))
}

#[test]
fn a_crafted_signature_does_not_split_four_validators() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path().to_path_buf();
    let (mut c, _) = Cluster::testnet(&root);
    for i in 0..4 {
        c.start(i);
    }
    let peers: Vec<PeerId> = (0..4).map(|i| peer_id(&c, i)).collect();
    let n0 = c.dir(0);
    ok(
        &n0,
        &[
            "--as",
            "Registry",
            "product",
            "define",
            "--gtin",
            &gtin("0061414100001"),
            "--name",
            "Coffee",
        ],
    );
    let status = ok(&n0, &["status"]);
    let mut chain_id = Hash32([0; 32]);
    hex::decode_to_slice(
        status["chain_id"].as_str().expect("chain id"),
        &mut chain_id.0,
    )
    .expect("hex");
    let registry = handoff_node::identity::select(&n0, Some("Registry"))
        .expect("the Registry key")
        .key;
    let next = ok(&n0, &["--as", "Registry", "org", "nonce"])["next_nonce"]
        .as_u64()
        .expect("nonce");

    // Five honest definitions, then the crafted one: one block, in nonce order.
    let honest: Vec<SignedTx> = (0..5)
        .map(|i| {
            define(
                &registry,
                chain_id,
                next + i,
                &gtin(&format!("00614141001{i:02}")),
            )
        })
        .collect();
    let crafted_gtin = gtin("0061414100199");
    let (crafted, salt) = (0..10_000u64)
        .find_map(|salt| {
            let mut tx = define(&registry, chain_id, next + 5, &crafted_gtin);
            let sig = crafted::with_torsion_in_r(&registry, &tx.signing_message(), 8, salt)
                .expect("order 8");
            tx = SignedTx::new(tx.body, sig).expect("the body encodes");
            let block: Vec<&SignedTx> = honest.iter().chain([&tx]).collect();
            (old_batch_accepts(&[&tx]) && !old_batch_accepts(&block)).then_some((tx, salt))
        })
        .expect("a signature the old paths split on");
    assert!(!strict_accepts(&crafted), "strict verification refuses it");
    assert!(
        handoff_core::crypto::verify_tx(&crafted),
        "ZIP-215 accepts it (salt {salt})"
    );

    // Validators 2 and 3 down: no quorum, so what 0 and 1 admit waits in their mempools.
    c.kill(2);
    c.kill(3);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let client = rt.block_on(async {
        let client = Client::start(&c.ports).await;
        client.wait_connected(&peers[..2]).await;
        for tx in honest.iter().chain([&crafted]) {
            for &p in &peers[..2] {
                let r = client.submit(p, tx).await;
                assert!(accepted(&r), "tx nonce {}: {r:?}", tx.body.nonce);
            }
        }
        client
    });

    // Back up, 2 and 3 validate the block holding the crafted transaction, which they
    // never admitted themselves.
    c.start(2);
    c.start(3);
    let signer = registry.public();
    let (height, index) = rt.block_on(async {
        client.wait_connected(&peers).await;
        let t = Instant::now();
        let mut located = vec![None; 4];
        while located.iter().any(Option::is_none) {
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "the crafted transaction was not committed everywhere: {located:?}; see {}",
                root.display()
            );
            for (i, &p) in peers.iter().enumerate() {
                if let Response::TxLocation(Some(loc)) = client
                    .ask(
                        p,
                        Request::TxLocation {
                            signer,
                            nonce: next + 5,
                        },
                    )
                    .await
                {
                    located[i] = Some(loc);
                }
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let first = located[0].expect("located");
        assert!(
            located.iter().all(|l| *l == Some(first)),
            "included at different places: {located:?}"
        );
        first
    });

    eprintln!("crafted transaction (salt {salt}) committed at height {height}, index {index}");
    // The same block everywhere, the crafted transaction in it and applied.
    let blocks = rt.block_on(async {
        let mut v = Vec::new();
        for &p in &peers {
            v.push(client.block(p, height).await);
        }
        v
    });
    for (i, b) in blocks.iter().enumerate() {
        assert_eq!(
            b.header.hash(),
            blocks[0].header.hash(),
            "node {i}: block {height}"
        );
        assert_eq!(b.header.state_root, blocks[0].header.state_root, "node {i}");
        let tx = SignedTx::decode(&b.txs[index as usize]).expect("decodes");
        assert_eq!(tx.id(), crafted.id(), "node {i}");
        assert_eq!(b.outcomes[index as usize].code, None, "node {i}: applied");
    }
    // Sent to the other two as well, it is the same transaction: its committed receipt.
    rt.block_on(async {
        for &p in &peers[2..] {
            let r = client.submit(p, &crafted).await;
            assert!(accepted(&r), "{r:?}");
        }
    });
    // Every node shows the product it defined.
    for i in 0..4 {
        let (code, j, _) = handoff(&c.dir(i), &["product", "show", &crafted_gtin]);
        assert_eq!(code, 0, "node {i}: {j}");
    }

    // And the chain goes on: a later block, the same on all four.
    let later = ok(
        &c.dir(1),
        &[
            "--as",
            "Registry",
            "item",
            "commission",
            &format!("(01){crafted_gtin}(21)AFTER"),
        ],
    )["height"]
        .as_u64()
        .expect("height");
    assert!(later > height);
    for i in 0..4 {
        c.wait_height(i, later, Duration::from_secs(60));
    }
    let last = rt.block_on(async {
        let mut v = Vec::new();
        for &p in &peers {
            v.push(client.block(p, later).await);
        }
        v
    });
    for (i, b) in last.iter().enumerate() {
        assert_eq!(
            b.header.hash(),
            last[0].header.hash(),
            "node {i}: block {later}"
        );
        assert_eq!(b.header.state_root, last[0].header.state_root, "node {i}");
    }
}
