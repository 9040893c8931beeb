//! A phone meets a real node over HTTP the way the phone web app does: no bearer token,
//! a pairing ticket the org made, a device key of its own, transactions it signed itself
//! (`POST /v1/transactions`). What is refused is refused with the status and stable code
//! a program can act on.

use crate::common;

use common::*;
use handoff_api::*;
use handoff_core::crypto::Keypair;
use handoff_core::tx::{Payload, TX_VERSION, TxBody};
use handoff_core::types::Hash32;
use handoff_http::Client;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};

struct Node {
    child: Child,
    url: String,
    http: String,
    token: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(root: &std::path::Path, d: &std::path::Path) -> Node {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
    let log = std::fs::File::create(root.join("node.log")).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    let http = f["http"].as_str().expect("http").to_string();
    Node {
        child,
        url: format!("http://{http}"),
        http,
        token: f["token"].as_str().expect("token").to_string(),
    }
}

/// A `POST` of `body` to `path`; the status and the JSON answer.
fn post(n: &Node, path: &str, body: &[u8]) -> (u16, Value) {
    let mut s = TcpStream::connect(&n.http).expect("connect");
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        n.http,
        body.len()
    )
    .expect("head");
    let mut w = s.try_clone().expect("clone");
    let body = body.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(&body);
    });
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let _ = writer.join();
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {text:?}"));
    let json = text.split("\r\n\r\n").nth(1).unwrap_or_default();
    (status, serde_json::from_str(json).unwrap_or(Value::Null))
}

fn refused(e: ApiError) -> (String, u16) {
    (e.code.clone(), e.http_status())
}

#[test]
fn a_phone_pairs_with_a_ticket_and_submits_what_it_signed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("node");
    ok(
        &d,
        &[
            "init",
            "--org",
            "Acme Farms",
            "--prefix",
            "0614141",
            "--role",
            "producer",
        ],
    );
    let n = start(dir.path(), &d);
    let acme = Client::new(&n.url, Some(&n.token));
    let phone = Client::new(&n.url, None);

    // Only a signed-in org makes tickets.
    let anon = phone
        .call(&PairTicketRequest {
            base: None,
            label: "phone".into(),
        })
        .expect_err("no token");
    assert_eq!(refused(anon), ("UNAUTHORIZED".into(), 401));
    let t = acme
        .call(&PairTicketRequest {
            base: Some(n.url.clone()),
            label: "dock phone".into(),
        })
        .expect("ticket");
    assert_eq!(
        t.url.as_deref(),
        Some(&*format!("{}/#pair={}", n.url, t.ticket))
    );

    let chain = Hash32::from_hex(&acme.call(&StatusRequest {}).expect("status").chain_id)
        .expect("chain id");
    let key = Keypair::from_secret([42; 32]);
    let redeem = |ticket: &str, k: &Keypair| {
        let mut msg = b"handoff pairing v1".to_vec();
        msg.extend_from_slice(&chain.0);
        msg.extend_from_slice(ticket.as_bytes());
        phone.call(&PairRedeemRequest {
            ticket: ticket.into(),
            device: k.public().to_hex(),
            signature: hex::encode(k.sign_raw(&msg)),
        })
    };
    let unknown = redeem(&"ab".repeat(16), &key).expect_err("unknown");
    assert_eq!(refused(unknown), ("PAIR_TICKET_UNKNOWN".into(), 403));
    let paired = redeem(&t.ticket, &key).expect("paired without a token");
    assert_eq!(
        (paired.name.as_str(), paired.label.as_str()),
        ("Acme Farms", "dock phone")
    );
    let used = redeem(&t.ticket, &Keypair::from_secret([43; 32])).expect_err("used");
    assert_eq!(refused(used), ("PAIR_TICKET_USED".into(), 403));
    let standing = phone
        .call(&SignerNonceRequest {
            key: key.public().to_hex(),
        })
        .expect("standing");
    assert_eq!(
        (standing.standing.as_str(), standing.next_nonce),
        ("device", 0)
    );

    // The phone signs a product definition for its org and submits it itself.
    let gtin = gtin("0061414100001");
    let sign = |nonce: u64, name: &str| {
        key.sign_tx(TxBody {
            version: TX_VERSION,
            chain_id: chain,
            signer: key.public(),
            nonce,
            event_time_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis() as i64,
            payload: Payload::DefineProduct {
                gtin: gtin.clone(),
                name: name.into(),
                description: String::new(),
                attributes: vec![],
                image_hash: None,
            },
        })
        .expect("sign")
    };
    let submit = |bytes: Vec<u8>| {
        phone.call(&TxSubmitRequest {
            signed_tx: hex::encode(bytes),
        })
    };
    let done = submit(sign(0, "Arabica 1 kg").encode()).expect("committed");
    assert!(done.height > 0 && !done.already);
    let product = phone
        .call(&ProductShowRequest { gtin: gtin.clone() })
        .expect("product");
    assert_eq!(product.product.name, "Arabica 1 kg");

    // Refusals: the ledger's codes (422) for a transaction it read, 400 for bytes that are
    // no transaction, 413 for a body over the server's bound.
    let reused = submit(sign(0, "Other").encode()).expect_err("reused");
    assert_eq!(refused(reused), ("NONCE_REUSED".into(), 422));
    let gap = submit(sign(3, "Other").encode()).expect_err("gap");
    assert_eq!(refused(gap), ("NONCE_GAP".into(), 422));
    let mut forged = sign(1, "Other").encode();
    let last = forged.len() - 1;
    forged[last] ^= 0x40;
    let bad = submit(forged).expect_err("bad signature");
    assert_eq!(refused(bad), ("BAD_SIGNATURE".into(), 422));
    let garbage = submit(vec![1, 2, 3]).expect_err("no transaction");
    assert_eq!(refused(garbage), ("MALFORMED".into(), 400));
    let (status, body) = post(
        &n,
        "/v1/transactions",
        format!(
            "{{\"signed_tx\": \"{}\"}}",
            "0".repeat(limits::MAX_SIGNED_TX_HEX + 2)
        )
        .as_bytes(),
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some(limits::REQUEST_TOO_LARGE)),
        "{body}"
    );
    let (status, body) = post(&n, "/v1/transactions", &vec![b' '; 2 * 1024 * 1024]);
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("TOO_LARGE")),
        "{body}"
    );
    // None of those used a nonce.
    let after = phone
        .call(&SignerNonceRequest {
            key: key.public().to_hex(),
        })
        .expect("standing");
    assert_eq!(after.next_nonce, 1);
}
