//! The running node's HTTP server as a client meets it over a real socket: actions need
//! the token, and a request body over its bound is answered 413 with the error shape,
//! never cut and read on.

use crate::common;

use common::*;
use handoff_http::limits::MAX_BODY_BYTES;
use handoff_node::limits::MAX_PEER_BLOCK_BODY_BYTES;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command};

struct Node {
    child: Child,
    http: String,
    token: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-validator chain's node with its HTTP server on loopback.
fn node(root: &std::path::Path) -> Node {
    let d = root.join("node");
    ok(&d, &["init", "--org", "Acme Farms"]);
    node_at(root, &d)
}

/// The node of the folder `d`, with its HTTP server on loopback.
fn node_at(root: &std::path::Path, d: &std::path::Path) -> Node {
    let mut cmd = Command::new(bin());
    cmd.arg("--data")
        .arg(d)
        .args(["node", "run", "--validator", "--no-mdns", "--listen"])
        .arg(format!("/ip4/127.0.0.1/tcp/{}", free_port()));
    let log = std::fs::File::create(root.join("node.log")).expect("log");
    let child = spawn_ready(&mut cmd, log, "node");
    let f: Value = serde_json::from_slice(&std::fs::read(d.join("node.json")).expect("node.json"))
        .expect("node.json is JSON");
    Node {
        child,
        http: f["http"].as_str().expect("http").to_string(),
        token: f["token"].as_str().expect("token").to_string(),
    }
}

/// Sends one request (headers, then `body` written on another thread so a server that
/// answers early cannot stall it) and returns the status and the JSON answer.
fn post(n: &Node, path: &str, token: Option<&str>, headers: &str, body: Vec<u8>) -> (u16, Value) {
    let mut s = TcpStream::connect(&n.http).expect("connect to the gateway");
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n{auth}{headers}\r\n",
        n.http
    )
    .expect("request head");
    let mut w = s.try_clone().expect("clone");
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
    let json = serde_json::from_str(json).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, json)
}

fn sized(body: Vec<u8>) -> (String, Vec<u8>) {
    (format!("Content-Length: {}\r\n", body.len()), body)
}

/// A sale of one item that does not parse (`{"scans": ["not a scan"]}`), padded with
/// JSON whitespace to exactly `len` bytes: the server must read it whole and decode it
/// to reach the node's answer (`BAD_SCAN`-like bad input, never 413).
fn sale_of_len(len: usize) -> Vec<u8> {
    let head = br#"{"scans":["not a scan"]"#;
    let mut b = head.to_vec();
    b.extend(std::iter::repeat_n(b' ', len - head.len() - 1));
    b.push(b'}');
    b
}

#[test]
fn actions_need_the_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = node(dir.path());
    let (h, b) = sized(sale_of_len(64));
    let (status, j) = post(&n, "/v1/sales", None, &h, b.clone());
    assert_eq!(
        (status, &j["error"]["code"]),
        (401, &"UNAUTHORIZED".into()),
        "{j}"
    );
    let mut wrong = n.token.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(wrong.len() - 1.., last);
    let (status, j) = post(&n, "/v1/sales", Some(&wrong), &h, b.clone());
    assert_eq!(
        (status, &j["error"]["code"]),
        (401, &"UNAUTHORIZED".into()),
        "{j}"
    );
    // With the token the request reaches the node, which explains what is wrong with it.
    let (status, j) = post(&n, "/v1/sales", Some(&n.token), &h, b);
    assert_eq!(status, 400, "{j}");
    assert!(
        j["error"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("SCAN_") || c.starts_with("BAD_")),
        "{j}"
    );
    assert_ne!(j["error"]["code"], "UNAUTHORIZED", "{j}");
}

#[test]
fn bodies_over_their_bound_are_answered_413() {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = node(dir.path());
    let t = Some(n.token.as_str());

    // A request of exactly the bound is read whole and answered by the node.
    let (h, b) = sized(sale_of_len(MAX_BODY_BYTES));
    let (status, j) = post(&n, "/v1/sales", t, &h, b);
    assert_eq!(status, 400, "{j}");
    assert_ne!(j["error"]["code"], "TOO_LARGE", "{j}");

    // One byte more is refused with the error shape, declared or not.
    let (h, b) = sized(sale_of_len(MAX_BODY_BYTES + 1));
    let (status, j) = post(&n, "/v1/sales", t, &h, b.clone());
    assert_eq!(status, 413, "{j}");
    assert_eq!(j["error"]["code"], "TOO_LARGE", "{j}");
    assert!(
        j["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{j}"
    );
    let mut chunked = format!("{:x}\r\n", b.len()).into_bytes();
    chunked.extend(&b);
    chunked.extend(b"\r\n0\r\n\r\n");
    let (status, j) = post(
        &n,
        "/v1/sales",
        t,
        "Transfer-Encoding: chunked\r\n",
        chunked,
    );
    assert_eq!(
        (status, &j["error"]["code"]),
        (413, &"TOO_LARGE".into()),
        "{j}"
    );
    // Blocking a peer takes a small body; a larger one is refused, not cut at the bound
    // and parsed.
    let peer =
        r#"{"peer":"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA","block":false,"pad":""#;
    let mut big = peer.as_bytes().to_vec();
    big.extend(std::iter::repeat_n(
        b'x',
        MAX_PEER_BLOCK_BODY_BYTES as usize,
    ));
    big.extend(b"\"}");
    let (h, b) = sized(big);
    let (status, j) = post(&n, "/v1/peers/block", t, &h, b);
    assert_eq!(
        (status, &j["error"]["code"]),
        (413, &"TOO_LARGE".into()),
        "{j}"
    );
}

/// Runs `handoff ARGS` (no `--data`) as text; returns the exit code, stdout and stderr.
fn text(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(bin())
        .args(args)
        .output()
        .expect("run handoff");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `handoff --node URL --token T --json ARGS`: the exit code and the JSON printed.
fn remote(n: &Node, token: &str, args: &[&str]) -> (i32, Value) {
    let url = format!("http://{}", n.http);
    let mut full = vec!["--node", url.as_str(), "--token", token, "--json"];
    full.extend_from_slice(args);
    let (code, stdout, stderr) = text(&full);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{args:?}: stdout is not JSON ({e}): {stdout} {stderr}"));
    (code, json)
}

#[test]
fn commands_reach_a_node_as_typed_requests_under_the_identity_rule() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("node");
    let folder = d.to_str().expect("path").to_string();
    ok(&d, &["init", "--org", "Acme Farms"]);
    ok(&d, &["org", "add", "Corner Shop", "--role", "retailer"]);
    let shop = ok(&d, &["node", "token", "Corner Shop"])["token"]
        .as_str()
        .expect("token")
        .to_string();
    let (code, orgs_here, e) = text(&["--data", &folder, "org", "list"]);
    assert_eq!(code, 0, "{e}");
    let nonce_here = ok(&d, &["org", "nonce"]);

    // The node holds the folder from now on (and took the shop's token at its start).
    let n = node_at(dir.path(), &d);
    let url = format!("http://{}", n.http);

    // On the folder and with --node, a command prints what it printed without a node.
    let (code, orgs_there, e) = text(&["--data", &folder, "org", "list"]);
    assert_eq!((code, &orgs_there), (0, &orgs_here), "{e}");
    let (code, orgs_remote, e) = text(&["--node", &url, "--token", &n.token, "org", "list"]);
    assert_eq!((code, &orgs_remote), (0, &orgs_here), "{e}");
    assert_eq!(ok(&d, &["org", "nonce"]), nonce_here);

    // The node's own token acts as the folder's default identity, or as any it names.
    let (code, j) = remote(&n, &n.token, &["org", "nonce"]);
    assert_eq!((code, &j["name"]), (0, &"Acme Farms".into()), "{j}");
    let (code, j) = remote(&n, &n.token, &["--as", "Corner Shop", "org", "nonce"]);
    assert_eq!((code, &j["name"]), (0, &"Corner Shop".into()), "{j}");
    let (code, j) = remote(&n, &n.token, &["validators", "show"]);
    assert_eq!((code, &j["epoch"]), (0, &0.into()), "{j}");
    let me = j["validators"][0].as_str().expect("validator").to_string();
    let (code, j) = remote(
        &n,
        &n.token,
        &["validators", "approve", "--epoch", "1", &me],
    );
    assert_eq!((code, &j["validator"]), (0, &me.as_str().into()), "{j}");

    // A token made for one identity acts as that identity only, never with the
    // validator key.
    let (code, j) = remote(&n, &shop, &["org", "nonce"]);
    assert_eq!((code, &j["name"]), (0, &"Corner Shop".into()), "{j}");
    let (code, j) = remote(&n, &shop, &["--as", "Acme Farms", "org", "nonce"]);
    assert_eq!(
        (code, &j["error"]["code"]),
        (1, &"IDENTITY_FORBIDDEN".into()),
        "{j}"
    );
    let (code, j) = remote(&n, &shop, &["validators", "approve", "--epoch", "1", &me]);
    assert_eq!(
        (code, &j["error"]["code"]),
        (1, &"VALIDATOR_KEY_FORBIDDEN".into()),
        "{j}"
    );
    // Ledger rules answer with their code and exit 3 through the node as locally.
    let (code, j) = remote(&n, &shop, &["org", "add", "Another Shop"]);
    assert_eq!(code, 3, "{j}");

    // What works on this machine's files is refused with --node, before anything runs.
    let label = dir.path().join("l.pdf");
    for args in [
        vec!["init", "--org", "X"],
        vec!["demo"],
        vec!["load", "--rounds", "1"],
        vec![
            "label",
            "(01)09506000134352(21)A",
            "-o",
            label.to_str().expect("path"),
        ],
        vec!["node", "token", "Corner Shop"],
    ] {
        let (code, j) = remote(&n, &n.token, &args);
        assert_eq!(
            (code, &j["error"]["code"]),
            (2, &"USAGE".into()),
            "{args:?}: {j}"
        );
    }
    assert!(!label.exists());
    // And `load` on the folder a node holds.
    let (code, j, _) = handoff(&d, &["load", "--rounds", "1"]);
    assert_eq!((code, &j["error"]["code"]), (2, &"USAGE".into()), "{j}");
}
